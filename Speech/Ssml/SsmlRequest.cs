using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Speech.Ssml;

/// <summary>SSML input turned into segments with resolved voices, or the invalid-request error that says what is wrong and where.</summary>
public static class SsmlRequest
{
    /// <param name="words">Word timings wanted: spoken segments carry their maps to the input's text content.</param>
    public static async Task<IReadOnlyList<SpeechSegment>> PrepareAsync(string input, string voiceId, ISynthesisWorker worker, VoiceResolver resolver, CancellationToken ct, bool words = false)
    {
        var voices = await worker.GetVoicesAsync(ct);
        var voice = voices.FirstOrDefault(v => v.Id.Equals(voiceId, StringComparison.OrdinalIgnoreCase));
        var language = voice?.Languages.FirstOrDefault() ?? "";

        SsmlDocument document;
        try
        {
            document = new SsmlParser(SsmlLimits.Default).Parse(input, language, words);
        }
        catch (SsmlException e)
        {
            throw Invalid(e.Error);
        }

        var ids = new Dictionary<(string, bool), string?>();
        foreach (var reference in document.References)
        {
            if (ids.ContainsKey((reference.Value, reference.IsLanguage))) continue;
            if (!reference.IsLanguage)
            {
                var resolved = await resolver.ResolveAsync(reference.Value, ct);
                if (resolved.Error is not null)
                    throw Invalid(new SsmlError($"<voice name=\"{reference.Value}\"> names no voice; GET /v1/voices lists the voice ids.", reference.Line, reference.Column, "voice"));
                ids[(reference.Value, false)] = resolved.VoiceId;
            }
            else
            {
                // The request's voice reads its own language; another language needs a voice of that language.
                var found = Speaks(voice, reference.Value, exact: false) ? null
                    : (voices.FirstOrDefault(v => Speaks(v, reference.Value, exact: true)) ?? voices.FirstOrDefault(v => Speaks(v, reference.Value, exact: false)))?.Id;
                if (found is null && !Speaks(voice, reference.Value, exact: false))
                    throw Invalid(new SsmlError($"<lang xml:lang=\"{reference.Value}\"> is a language no voice here speaks; GET /v1/voices lists voices and their languages.", reference.Line, reference.Column, "lang"));
                ids[(reference.Value, true)] = found;
            }
        }

        var segments = document.Segments.Select(segment => segment switch
        {
            SpokenSegment { Style.VoiceId: { } name } spoken => spoken with { Style = spoken.Style with { VoiceId = ids[(name, false)] } },
            SpokenSegment { Style.Language: { } tag } spoken => spoken with { Style = spoken.Style with { VoiceId = ids[(tag, true)] } },
            _ => segment,
        }).ToList();
        if (!segments.Any(s => s is SpokenSegment { Text: var t } && t.EnumerateRunes().Any(System.Text.Rune.IsLetterOrDigit) || s is PauseSegment))
            throw SpeechValidation.Invalid("Nothing to speak", "The SSML contains no text to speak and no breaks.");
        return segments;
    }

    private static bool Speaks(Orleans.Tts.Voices.VoiceInfo? voice, string tag, bool exact) =>
        voice is not null && voice.Languages.Any(l => exact
            ? l.Equals(tag, StringComparison.OrdinalIgnoreCase)
            : l.Split('-')[0].Equals(tag.Split('-')[0], StringComparison.OrdinalIgnoreCase));

    private static SpeechRequestInvalidException Invalid(SsmlError error) =>
        SpeechValidation.Invalid("Invalid SSML", error.Message.Contains(" at line ", StringComparison.Ordinal) || error.Element is null
            ? error.Message : $"{error.Message} (<{error.Element}> at line {error.Line}, column {error.Column}.)", new Dictionary<string, object?>
        {
            ["line"] = error.Line,
            ["column"] = error.Column,
            ["element"] = error.Element,
            ["supportedElements"] = SsmlParser.Elements,
        });
}

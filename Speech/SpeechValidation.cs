using System.Text;
using Orleans.Tts.Cluster;
using Orleans.Tts.Speakers;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Speech;

/// <summary>
/// The checks a speech request gets, shared by the speech grain, <c>/v1/audio/speech</c> and <c>/v1/jobs</c>: each failure
/// is a <see cref="SpeechRequestInvalidException"/> (or, for storage out of reach, a <see cref="SpeechBusyException"/>)
/// saying what is allowed.
/// </summary>
public static class SpeechValidation
{
    /// <summary>How a request names a speaker as its voice: <c>speaker:&lt;id&gt;</c>.</summary>
    public const string SpeakerPrefix = "speaker:";

    /// <summary>input present, within <paramref name="maxChars"/> characters (413 otherwise, with <paramref name="tooLongAdvice"/>), and speakable; returns its length in characters.</summary>
    public static int Input(string? input, int maxChars, string tooLongAdvice)
    {
        if (input is null) throw Invalid("Missing input", "The field 'input' is required: the text to speak.");
        var length = input.EnumerateRunes().Count();
        if (length > maxChars)
            throw new SpeechRequestInvalidException("Input too long",
                $"'input' has {length} characters; at most {maxChars} are allowed here. {tooLongAdvice}",
                new Dictionary<string, object?> { ["maxInputChars"] = maxChars, ["inputChars"] = length, ["jobsUrl"] = "/v1/jobs" }, status: 413);
        if (string.IsNullOrWhiteSpace(input)) throw Invalid("Empty input", "The field 'input' is empty: give the text to speak.");
        if (!input.EnumerateRunes().Any(Rune.IsLetterOrDigit))
            throw Invalid("Nothing to speak", "The field 'input' contains no letters or digits to speak.");
        return length;
    }

    /// <summary>response_format one of <see cref="OutputFormats.Supported"/> (default mp3), normalised.</summary>
    public static string Format(string? responseFormat)
    {
        var format = (responseFormat ?? OutputFormats.Default).Trim().ToLowerInvariant();
        if (OutputFormats.Supported.Contains(format)) return format;
        throw Invalid("Unsupported response_format",
            $"response_format '{Echo(responseFormat)}' is not supported. Supported: {string.Join(", ", OutputFormats.Supported)}.",
            new Dictionary<string, object?> { ["supported"] = OutputFormats.Supported });
    }

    /// <summary>speed, pitch and model within their ranges.</summary>
    public static void Prosody(double? speed, double? pitch, string? model)
    {
        var s = speed ?? 1.0;
        if (!double.IsFinite(s) || s < SynthesisRequest.MinSpeed || s > SynthesisRequest.MaxSpeed)
            throw Invalid("Bad speed", $"speed must be a number from {SynthesisRequest.MinSpeed} to {SynthesisRequest.MaxSpeed}; got {speed}.");
        var p = pitch ?? 0.0;
        if (!double.IsFinite(p) || p < SynthesisRequest.MinPitch || p > SynthesisRequest.MaxPitch)
            throw Invalid("Bad pitch", $"pitch is a shift in semitones from {SynthesisRequest.MinPitch} to {SynthesisRequest.MaxPitch}; got {pitch}.");
        if (model is { Length: > 256 }) throw Invalid("Bad model", "'model' is at most 256 characters.");
    }

    /// <summary>The speaker of <c>speaker:&lt;id&gt;</c>: unknown is invalid (400), unreadable is busy (503).</summary>
    public static async Task<SpeakerProfile> SpeakerAsync(ISpeakerDirectory speakers, string speakerId, CancellationToken ct)
    {
        // An id no speaker can have (Orleans refuses empty keys) is simply unknown.
        var speaker = SpeakerIds.IsValid(speakerId) ? await speakers.GetSpeaker(speakerId).GetAsync(ct) : null;
        return speaker ?? throw Invalid("Unknown speaker", $"There is no speaker '{Echo(speakerId)}'. GET /v1/speakers lists them; POST /v1/speakers creates one.",
            new Dictionary<string, object?> { ["speakersUrl"] = "/v1/speakers" });
    }

    /// <summary>What a request's <c>voice</c> resolves to: the voice to synthesise with and, for <c>speaker:&lt;id&gt;</c>, the
    /// speaker whose speed, pitch and volume are already combined into <see cref="Speed"/>, <see cref="Pitch"/>, <see cref="Volume"/>.</summary>
    public sealed record ResolvedVoice(string VoiceId, SpeakerProfile? Speaker, double Speed, double Pitch, double Volume);

    /// <summary>
    /// The request's voice (an id, alias or <c>speaker:&lt;id&gt;</c>) with the request's speed and pitch: shared by speech and
    /// jobs so both accept and refuse the same voices.
    /// </summary>
    public static async Task<ResolvedVoice> VoiceAsync(ISpeakerDirectory speakers, VoiceResolver voices, string? requested, double speed, double pitch, CancellationToken ct)
    {
        if (requested?.Trim() is { } name && name.StartsWith(SpeakerPrefix, StringComparison.OrdinalIgnoreCase))
        {
            var speaker = await SpeakerAsync(speakers, name[SpeakerPrefix.Length..], ct);
            var (s, p) = WithSpeaker(speed, pitch, speaker);
            return new ResolvedVoice(speaker.BaseVoiceId, speaker, s, p, speaker.Volume);
        }
        var resolved = await voices.ResolveAsync(requested, ct);
        return resolved.Error is not null ? throw resolved.Error : new ResolvedVoice(resolved.VoiceId!, null, speed, pitch, 1.0);
    }

    /// <summary>The request's speed and pitch combined with the speaker's, kept within range.</summary>
    public static (double Speed, double Pitch) WithSpeaker(double speed, double pitch, SpeakerProfile speaker) =>
        (Math.Clamp(speed * speaker.Speed, SynthesisRequest.MinSpeed, SynthesisRequest.MaxSpeed),
         Math.Clamp(pitch + speaker.Pitch, SynthesisRequest.MinPitch, SynthesisRequest.MaxPitch));

    /// <summary>
    /// A value a client sent, as quoted back in an error: at most <paramref name="max"/> characters (then "…", never half a
    /// surrogate pair), so a huge field never makes a huge error.
    /// </summary>
    public static string Echo(string? value, int max = 64)
    {
        if (value is null || value.Length <= max) return value ?? "";
        var cut = char.IsHighSurrogate(value[max - 1]) ? max - 1 : max;
        return value[..cut] + "…";
    }

    public static SpeechRequestInvalidException Invalid(string title, string detail, IReadOnlyDictionary<string, object?>? extensions = null) =>
        new(title, detail, extensions);
}

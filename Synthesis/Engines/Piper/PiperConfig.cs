using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Orleans.Tts.Synthesis.Engines.Piper;

/// <summary>A Piper voice's <c>NAME.onnx.json</c>: what Piper's own loader reads from it.</summary>
public sealed record PiperConfig(
    int SampleRate,
    bool UsesEspeak,
    string EspeakVoice,
    string Language,
    float NoiseScale,
    float LengthScale,
    float NoiseW,
    IReadOnlyDictionary<Rune, long[]> PhonemeIdMap,
    int NumSpeakers,
    IReadOnlyList<PiperSpeaker> Speakers,
    IReadOnlyDictionary<Rune, float> PhonemeSilenceSeconds)
{
    public const char Pad = '_', Bos = '^', Eos = '$';

    /// <summary>Most speakers a config may declare (Piper's largest published voice has 904); each becomes a voice.</summary>
    public const int MaxSpeakers = 65536;

    public bool MultiSpeaker => NumSpeakers > 1;

    /// <summary>Parses and checks a config; errors name the field and what it must hold.</summary>
    public static PiperConfig Parse(string json)
    {
        try { return ParseDocument(json); }
        catch (InvalidOperationException e)
        {
            // JsonElement refuses text it cannot decode, such as a lone surrogate escaped as \ud800 in a key or a string.
            throw new InvalidDataException($"The config holds text that is not valid Unicode (e.g. a lone \\ud800 escape): {e.Message}", e);
        }
    }

    private static PiperConfig ParseDocument(string json)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(json, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip }); }
        catch (Exception e) when (e is JsonException or ArgumentException) { throw new InvalidDataException($"The config is not valid JSON: {e.Message}", e); }
        using var _ = document;
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException("The config must be a JSON object.");

        var sampleRate = Object(root, "audio") is { } audio && Number(audio, "sample_rate") is { } rate ? (int)rate : 22050;
        if (sampleRate is < 8000 or > 192000) throw new InvalidDataException($"audio.sample_rate {sampleRate} is not a plausible rate (8000–192000 Hz).");

        var phonemeType = root.TryGetProperty("phoneme_type", out var type) && type.ValueKind == JsonValueKind.String ? type.GetString()! : "espeak";
        if (phonemeType is not ("espeak" or "text"))
            throw new InvalidDataException($"phoneme_type '{phonemeType}' is not supported; Piper voices with 'espeak' or 'text' phonemes are.");
        var espeakVoice = Object(root, "espeak") is { } espeak && espeak.TryGetProperty("voice", out var v) && v.ValueKind == JsonValueKind.String
            ? v.GetString()! : "";
        if (phonemeType == "espeak" && espeakVoice.Length == 0)
            throw new InvalidDataException("espeak.voice is missing: an eSpeak-phoneme voice must name its eSpeak voice.");

        var inference = Object(root, "inference");
        var map = PhonemeIds(root);
        var numSpeakers = Number(root, "num_speakers") is { } n ? (int)n : 1;
        if (numSpeakers is < 1 or > MaxSpeakers) throw new InvalidDataException($"num_speakers {Number(root, "num_speakers")} must be a whole number from 1 to {MaxSpeakers}.");

        return new PiperConfig(
            sampleRate,
            phonemeType == "espeak",
            espeakVoice,
            LanguageOf(root, espeakVoice),
            inference is { } i1 && Number(i1, "noise_scale") is { } ns ? (float)ns : 0.667f,
            inference is { } i2 && Number(i2, "length_scale") is { } ls ? (float)ls : 1.0f,
            inference is { } i3 && Number(i3, "noise_w") is { } nw ? (float)nw : 0.8f,
            map,
            numSpeakers,
            SpeakersOf(root, numSpeakers),
            inference is { } i4 && Object(i4, "phoneme_silence") is { } silence ? SilenceOf(silence) : new Dictionary<Rune, float>());
    }

    private static Dictionary<Rune, long[]> PhonemeIds(JsonElement root)
    {
        if (Object(root, "phoneme_id_map") is not { } mapElement)
            throw new InvalidDataException("phoneme_id_map is missing: it maps each phoneme to its model ids.");
        var map = new Dictionary<Rune, long[]>();
        foreach (var entry in mapElement.EnumerateObject())
        {
            var phoneme = SingleRune(entry.Name, "phoneme_id_map");
            if (entry.Value.ValueKind != JsonValueKind.Array)
                throw new InvalidDataException($"phoneme_id_map['{entry.Name}'] must be a list of ids.");
            map[phoneme] = [.. entry.Value.EnumerateArray().Select(id => id.TryGetInt64(out var x) && x >= 0
                ? x : throw new InvalidDataException($"phoneme_id_map['{entry.Name}'] holds '{id}', not a non-negative whole number."))];
        }
        foreach (var required in new[] { Pad, Bos, Eos })
            if (!map.ContainsKey(new Rune(required)))
                throw new InvalidDataException($"phoneme_id_map has no '{required}': Piper needs the pad '_', BOS '^' and EOS '$' ids.");
        return map;
    }

    private static List<PiperSpeaker> SpeakersOf(JsonElement root, int numSpeakers)
    {
        if (numSpeakers <= 1) return [];
        var speakers = new List<PiperSpeaker>();
        if (Object(root, "speaker_id_map") is { } ids)
        {
            foreach (var entry in ids.EnumerateObject())
            {
                if (!entry.Value.TryGetInt64(out var id) || id < 0 || id >= numSpeakers)
                    throw new InvalidDataException($"speaker_id_map['{entry.Name}'] = {entry.Value} is not a speaker id from 0 to {numSpeakers - 1}.");
                speakers.Add(new PiperSpeaker(entry.Name, id));
            }
        }
        // Without names, speakers are known by their ids, as Piper's --speaker takes them.
        if (speakers.Count == 0)
            speakers.AddRange(Enumerable.Range(0, numSpeakers).Select(i => new PiperSpeaker(i.ToString(CultureInfo.InvariantCulture), i)));
        return [.. speakers.OrderBy(s => s.Id)];
    }

    private static Dictionary<Rune, float> SilenceOf(JsonElement silence)
    {
        var result = new Dictionary<Rune, float>();
        foreach (var entry in silence.EnumerateObject())
        {
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetDouble(out var seconds) || seconds is < 0 or > 10)
                throw new InvalidDataException($"inference.phoneme_silence['{entry.Name}'] must be seconds from 0 to 10.");
            result[SingleRune(entry.Name, "inference.phoneme_silence")] = (float)entry.Value.GetDouble();
        }
        return result;
    }

    /// <summary><c>language.code</c> (<c>en_US</c> → <c>en-us</c>) when given, else the eSpeak voice.</summary>
    private static string LanguageOf(JsonElement root, string espeakVoice)
    {
        var code = Object(root, "language") is { } language && language.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String
            ? c.GetString()! : espeakVoice;
        return code.Replace('_', '-').ToLowerInvariant();
    }

    private static Rune SingleRune(string text, string field)
    {
        if (Rune.DecodeFromUtf16(text, out var rune, out var consumed) != System.Buffers.OperationStatus.Done || consumed != text.Length)
            throw new InvalidDataException($"{field} key '{text}' is not one Unicode code point, as Piper requires.");
        return rune;
    }

    private static JsonElement? Object(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var e) && e.ValueKind == JsonValueKind.Object ? e : null;

    /// <summary>A number field, or null when absent or not a number; a number beyond double's range is an error naming it.</summary>
    private static double? Number(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var e) || e.ValueKind != JsonValueKind.Number) return null;
        return e.TryGetDouble(out var value) && double.IsFinite(value)
            ? value
            : throw new InvalidDataException($"{name} is {e.GetRawText()[..Math.Min(40, e.GetRawText().Length)]}, beyond the range of a number.");
    }
}

/// <summary>A speaker of a multi-speaker Piper voice and the <c>sid</c> the model knows it by.</summary>
public sealed record PiperSpeaker(string Name, long Id);

using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Speech;

/// <summary>
/// Word timings at the request's level: the clips' words (samples of each sentence clip) as <see cref="SpokenWord"/>s (milliseconds
/// of the whole audio, spans of the input), and the cache's form of a timed result — the words beside the encoded file, so a timed
/// request answered from the cache has the same words as the one that synthesised it.
/// </summary>
public static class SpeechWords
{
    public const string Word = "word", None = "none";
    public static readonly IReadOnlyList<string> Supported = [Word, None];

    // "TTSW", then the words as JSON (length-prefixed), then the encoded file: what a timed request stores under its own key.
    private static ReadOnlySpan<byte> Magic => "TTSW"u8;
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>True when <c>timestamps</c> asks for word timings; a value that is neither is a 400.</summary>
    public static bool Wanted(string? timestamps) => timestamps?.Trim().ToLowerInvariant() switch
    {
        null or "" or None => false,
        Word => true,
        _ => throw SpeechValidation.Invalid("Unsupported timestamps",
            $"timestamps '{SpeechValidation.Echo(timestamps)}' is not supported: 'word' returns word timings with the audio, 'none' (or leaving it out) none.",
            new Dictionary<string, object?> { ["supported"] = Supported }),
    };

    /// <summary>
    /// The cache key of a timed request: the plain key's parts plus the exact input. The plain key reads the text with its spaces
    /// collapsed and in NFKC, which is right for audio but not for offsets into the input, and a timed result is a different entry.
    /// </summary>
    public static string CacheFormat(string format, string input) =>
        $"{format}+words;{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(input)))}";

    /// <summary>
    /// A clip's words, which start <paramref name="samplesBefore"/> samples into the audio, against the client's
    /// <paramref name="input"/>; their spans index <paramref name="cleaned"/> (<see cref="SpeakableText.Clean"/> of it).
    /// </summary>
    public static IReadOnlyList<SpokenWord> Of(AudioClip clip, long samplesBefore, string cleaned, string input)
    {
        if (clip.Words is not { Count: > 0 } words) return [];
        // Cleaning keeps every unit in place except a noncharacter outside the BMP, whose two units become one U+FFFD.
        var original = cleaned.Length == input.Length ? null : OriginalIndices(cleaned, input);
        var result = new SpokenWord[words.Count];
        for (var i = 0; i < words.Count; i++)
        {
            var w = words[i];
            var start = Math.Clamp(w.TextStart, 0, cleaned.Length);
            var end = Math.Clamp(w.TextEnd, start, cleaned.Length);
            if (original is not null) (start, end) = (original[start], original[end]);
            result[i] = new SpokenWord(input[start..end], start, end, Ms(samplesBefore + w.StartSample, clip.SampleRate), Ms(samplesBefore + w.EndSample, clip.SampleRate));
        }
        return result;
    }

    /// <summary>For each unit of <paramref name="cleaned"/> (and its end) where it stands in <paramref name="input"/>.</summary>
    private static int[] OriginalIndices(string cleaned, string input)
    {
        var map = new int[cleaned.Length + 1];
        var j = 0;
        for (var i = 0; i < cleaned.Length && j < input.Length; i++)
        {
            map[i] = j;
            var pair = char.IsHighSurrogate(input[j]) && j + 1 < input.Length && char.IsLowSurrogate(input[j + 1]);
            // A pair cleaned to one U+FFFD moves the input on by two units for one cleaned unit.
            j += pair && cleaned[i] == '\uFFFD' ? 2 : 1;
        }
        map[cleaned.Length] = input.Length;
        return map;
    }

    /// <summary>A word's time in milliseconds, to a tenth (0 for audio without a rate: a job whose units are all empty).</summary>
    public static double Ms(long samples, int rate) => rate > 0 ? Math.Round(samples * 1000.0 / rate, 1) : 0;

    /// <summary>The cache's form of a timed result.</summary>
    public static byte[] Pack(IReadOnlyList<SpokenWord> words, byte[] audio)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(words, Json);
        var packed = new byte[Magic.Length + 4 + json.Length + audio.Length];
        Magic.CopyTo(packed);
        BinaryPrimitives.WriteInt32LittleEndian(packed.AsSpan(Magic.Length), json.Length);
        json.CopyTo(packed, Magic.Length + 4);
        audio.CopyTo(packed, Magic.Length + 4 + json.Length);
        return packed;
    }

    /// <summary>The words and the encoded file of <see cref="Pack"/>.</summary>
    public static (IReadOnlyList<SpokenWord> Words, byte[] Audio) Unpack(byte[] packed)
    {
        if (packed.Length < Magic.Length + 4 || !packed.AsSpan(0, Magic.Length).SequenceEqual(Magic))
            throw new InvalidDataException("A timed cache entry does not start with its words.");
        var length = BinaryPrimitives.ReadInt32LittleEndian(packed.AsSpan(Magic.Length));
        if (length < 0 || length > packed.Length - Magic.Length - 4) throw new InvalidDataException("A timed cache entry's words are cut off.");
        var words = JsonSerializer.Deserialize<List<SpokenWord>>(packed.AsSpan(Magic.Length + 4, length), Json) ?? [];
        return (words, packed[(Magic.Length + 4 + length)..]);
    }
}

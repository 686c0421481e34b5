using System.Collections.Frozen;

namespace Orleans.Tts.Synthesis.Engines.Kokoro;

/// <summary>A Kokoro voice's language, from the first letter of its name (<c>af_heart</c> → American English).</summary>
/// <param name="Code">Language code listed for the voice.</param>
/// <param name="EspeakVoice">eSpeak voice that phonemises it.</param>
public sealed record KokoroLanguage(char Letter, string Code, string EspeakVoice)
{
    public static readonly IReadOnlyDictionary<char, KokoroLanguage> ByLetter = new Dictionary<char, KokoroLanguage>
    {
        ['a'] = new('a', "en-us", "en-us"),
        ['b'] = new('b', "en-gb", "en-gb"),
        ['e'] = new('e', "es", "es"),
        ['f'] = new('f', "fr", "fr-fr"),
        ['h'] = new('h', "hi", "hi"),
        ['i'] = new('i', "it", "it"),
        ['j'] = new('j', "ja", "ja"),
        ['p'] = new('p', "pt-br", "pt-br"),
        // Han is read through pinyin (eSpeak's own Mandarin reading of Han is wrong).
        ['z'] = new('z', "zh", Espeak.EspeakTextFrontEnd.MandarinVoice),
    }.ToFrozenDictionary();

    public static KokoroLanguage Of(string voiceName) =>
        voiceName.Length > 0 && ByLetter.TryGetValue(char.ToLowerInvariant(voiceName[0]), out var language)
            ? language
            : throw new InvalidDataException(
                $"Kokoro voice names start with their language letter ({string.Join(", ", ByLetter.Keys)}), e.g. af_heart; '{voiceName}' does not.");

    /// <summary><c>female</c> or <c>male</c> from the second letter (<c>af_…</c>, <c>am_…</c>).</summary>
    public static string? GenderOf(string voiceName) =>
        voiceName.Length > 1 ? char.ToLowerInvariant(voiceName[1]) switch { 'f' => "female", 'm' => "male", _ => null } : null;
}

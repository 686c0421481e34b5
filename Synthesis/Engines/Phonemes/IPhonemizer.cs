using System.Text.Json.Serialization;

namespace Orleans.Tts.Synthesis.Engines.Phonemes;

/// <summary>One clause of eSpeak NG IPA and the punctuation that ended it.</summary>
/// <param name="Phonemes">IPA as eSpeak writes it: stress marks, spaces between words, <c>(en)</c>-style language flags.</param>
/// <param name="Terminator">The clause's closing punctuation as ASCII (<c>. ? ! , : ;</c>), or empty.</param>
public sealed record PhonemeClause(string Phonemes, string Terminator)
{
    /// <summary>The clause ends a sentence (Piper starts a new inference after it).</summary>
    [JsonIgnore]
    public bool EndsSentence => Terminator is "." or "?" or "!";
}

/// <summary>Text to IPA, clause by clause, in an eSpeak voice. Thread-safe.</summary>
public interface IPhonemizer
{
    /// <param name="espeakVoice">eSpeak voice name, e.g. <c>en-us</c> or <c>cmn-latn-pinyin</c>.</param>
    /// <param name="text">Text that voice reads.</param>
    /// <param name="tie">A character written between the letters of multi-letter phonemes (<c>a^ɪ</c>), or null for none.</param>
    ValueTask<IReadOnlyList<PhonemeClause>> PhonemizeAsync(string espeakVoice, string text, char? tie, CancellationToken cancellationToken);
}

namespace Orleans.Tts.Synthesis.Text.Chinese;

internal enum TokenKind
{
    /// <summary>Reading fixed by the phrase table.</summary>
    Fixed,
    /// <summary>Per-character reading; 一 and 不 may still change by tone sandhi.</summary>
    Single,
    /// <summary>Character of a numeral we expanded (十一, 一百): 一 follows counting rules.</summary>
    InNumber,
    /// <summary>ASCII punctuation: a pause, and a boundary for sandhi.</summary>
    Pause,
}

/// <param name="Text">Numbered pinyin syllable, or the ASCII punctuation of a pause.</param>
/// <param name="Source">The Han character read, or '\0' (pauses, characters outside the BMP).</param>
internal sealed record Token(TokenKind Kind, string Text, char Source)
{
    public static Token Fixed(string syllable, char source) => new(TokenKind.Fixed, syllable, source);
    public static Token Single(string syllable, char source) => new(TokenKind.Single, syllable, source);
    public static Token InNumber(string syllable, char source) => new(TokenKind.InNumber, syllable, source);
    public static Token Pause(string mark) => new(TokenKind.Pause, mark, '\0');

    public bool IsSyllable => Kind != TokenKind.Pause;

    public int Tone => PinyinToneNumbers.ToneOf(Text);
}

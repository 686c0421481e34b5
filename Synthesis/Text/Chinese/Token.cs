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
    public static Token Fixed(string syllable, char source, int from = 0, int to = 0) => new(TokenKind.Fixed, syllable, source) { From = from, To = to };
    public static Token Single(string syllable, char source, int from = 0, int to = 0) => new(TokenKind.Single, syllable, source) { From = from, To = to };
    public static Token InNumber(string syllable, char source, int from = 0, int to = 0) => new(TokenKind.InNumber, syllable, source) { From = from, To = to };
    public static Token Pause(string mark, int from = 0, int to = 0) => new(TokenKind.Pause, mark, '\0') { From = from, To = to };

    public bool IsSyllable => Kind != TokenKind.Pause;

    /// <summary>The span [From, To) of the front end's input this token reads (word timings map pinyin back through it).</summary>
    public int From { get; init; }

    public int To { get; init; }

    public int Tone => PinyinToneNumbers.ToneOf(Text);
}

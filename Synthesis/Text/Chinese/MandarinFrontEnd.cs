using System.Collections.Immutable;
using System.Text;

namespace Orleans.Tts.Synthesis.Text.Chinese;

/// <summary>
/// Turns Mandarin text into numbered pinyin for eSpeak NG's <c>cmn-latn-pinyin</c> voice, which reads Mandarin
/// correctly where eSpeak's own Han reading does not. Immutable, so one instance can serve all threads.
/// </summary>
public sealed class MandarinFrontEnd(UnihanMandarinReadings readings, MandarinPhraseTable phrases)
{
    private readonly UnihanMandarinReadings _readings = readings;
    private readonly MandarinPhraseTable _phrases = phrases;

    public static MandarinFrontEnd LoadDefault() => Load(UnihanMandarinReadings.DebianPath);

    /// <summary>The default readings through a cached copy in <paramref name="cacheDirectory"/> (see <see cref="UnihanMandarinReadings.LoadCached"/>).</summary>
    public static MandarinFrontEnd LoadDefault(string? cacheDirectory) =>
        new(UnihanMandarinReadings.LoadCached(UnihanMandarinReadings.DebianPath, cacheDirectory), MandarinPhraseTable.Default);

    public static MandarinFrontEnd Load(string unihanReadingsBz2Path) =>
        new(UnihanMandarinReadings.Load(unihanReadingsBz2Path), MandarinPhraseTable.Default);

    /// <summary>
    /// Converts a run of Mandarin text (Han characters, Arabic digits, CJK and ASCII punctuation, spaces) to
    /// pinyin with tone numbers for eSpeak's cmn-latn-pinyin voice, e.g. "我们用部署服务。" → "wo3 men5 yong4 bu4 shu3 fu2 wu4."
    /// Punctuation is kept as ASCII punctuation so eSpeak pauses. Characters with no reading (Latin letters,
    /// symbols, emoji, unknown Han) are dropped, never spelled out.
    /// </summary>
    public string ToPinyin(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var prepared = PreparedText.From(text);
        var tokens = Tokenize(prepared);
        ToneSandhi.Apply(tokens);
        return Render(tokens);
    }

    private List<Token> Tokenize(PreparedText prepared)
    {
        var text = prepared.Text;
        var tokens = new List<Token>(text.Length);
        for (var i = 0; i < text.Length;)
        {
            if (PunctuationMarks.TryMap(text[i], out var mark))
            {
                tokens.Add(Token.Pause(mark));
                i++;
                continue;
            }

            if (!prepared.IsNumeric(i) && TryMatchPhrase(prepared, i, out var length, out var syllables))
            {
                for (var k = 0; k < syllables.Length; k++)
                    tokens.Add(Token.Fixed(syllables[k], text[i + k]));
                i += length;
                continue;
            }

            // A lone surrogate decodes as U+FFFD, which has no reading and is dropped.
            Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var consumed);
            if (TryRead(rune, out var reading))
            {
                var source = rune.IsBmp ? (char)rune.Value : '\0';
                tokens.Add(prepared.IsNumeric(i) ? Token.InNumber(reading, source) : Token.Single(reading, source));
            }
            i += consumed;
        }
        return tokens;
    }

    private bool TryMatchPhrase(PreparedText prepared, int start, out int length, out ImmutableArray<string> syllables)
    {
        var text = prepared.Text.AsSpan();
        for (length = Math.Min(_phrases.MaxLength, text.Length - start); length >= 1; length--)
        {
            if (prepared.AnyNumeric(start, length))
                continue;
            if (_phrases.TryGet(text.Slice(start, length), out var found))
            {
                syllables = found;
                return true;
            }
        }
        length = 0;
        syllables = [];
        return false;
    }

    private bool TryRead(Rune rune, out string reading)
    {
        if (_readings.TryGetReading(rune, out var found))
        {
            reading = found;
            return true;
        }
        reading = "";
        if (!IsCompatibilityHan(rune.Value))
            return false;
        // Compatibility ideographs and Kangxi radicals normalise to unified ideographs that Unihan does read.
        var normalized = rune.ToString().Normalize(NormalizationForm.FormKC);
        if (Rune.DecodeFromUtf16(normalized, out var unified, out var consumed) == System.Buffers.OperationStatus.Done
            && consumed == normalized.Length && unified != rune
            && _readings.TryGetReading(unified, out found))
        {
            reading = found;
            return true;
        }
        return false;
    }

    private static bool IsCompatibilityHan(int codePoint) =>
        codePoint is >= 0x2E80 and <= 0x2FDF      // CJK radicals supplement, Kangxi radicals
            or >= 0xF900 and <= 0xFAFF            // CJK compatibility ideographs
            or >= 0x2F800 and <= 0x2FA1F;         // CJK compatibility ideographs supplement

    private static string Render(List<Token> tokens)
    {
        var output = new StringBuilder(tokens.Count * 5);
        foreach (var token in tokens)
        {
            if (token.Kind == TokenKind.Pause)
            {
                TrimEndSpace(output);
                if (output.Length == 0 || EndsWith(output, token.Text))
                    continue; // no leading pause, and "！！" or "……" pause once
                output.Append(token.Text).Append(' ');
            }
            else
            {
                if (output.Length > 0 && output[^1] != ' ')
                    output.Append(' ');
                output.Append(token.Text);
            }
        }
        TrimEndSpace(output);
        return output.ToString();
    }

    private static void TrimEndSpace(StringBuilder output)
    {
        while (output.Length > 0 && output[^1] == ' ')
            output.Length--;
    }

    private static bool EndsWith(StringBuilder output, string value)
    {
        if (output.Length < value.Length)
            return false;
        for (var i = 0; i < value.Length; i++)
        {
            if (output[output.Length - value.Length + i] != value[i])
                return false;
        }
        return true;
    }
}

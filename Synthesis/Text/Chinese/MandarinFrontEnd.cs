using System.Collections.Immutable;
using System.Text;
using Orleans.Tts.Synthesis.Text;

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
        var prepared = PreparedText.From(text, mapped: false);
        var tokens = Tokenize(prepared);
        ToneSandhi.Apply(tokens);
        return Render(tokens, null).Text;
    }

    /// <summary>
    /// <see cref="ToPinyin"/> with each unit of the pinyin mapped to the span of <paramref name="text"/> it reads (word timings):
    /// a syllable to its Han character, a number's syllables to its digits.
    /// </summary>
    public MappedText ToPinyinMapped(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var prepared = PreparedText.From(text, mapped: true);
        var tokens = Tokenize(prepared);
        ToneSandhi.Apply(tokens);
        return Render(tokens, new MappedText.Builder(tokens.Count * 5)).Map!;
    }

    private List<Token> Tokenize(PreparedText prepared)
    {
        var text = prepared.Text;
        var tokens = new List<Token>(text.Length);
        for (var i = 0; i < text.Length;)
        {
            if (PunctuationMarks.TryMap(text[i], out var mark))
            {
                var (markFrom, markTo) = prepared.OriginalSpan(i, i + 1);
                tokens.Add(Token.Pause(mark, markFrom, markTo));
                i++;
                continue;
            }

            if (!prepared.IsNumeric(i) && TryMatchPhrase(prepared, i, out var length, out var syllables))
            {
                for (var k = 0; k < syllables.Length; k++)
                {
                    var (from, to) = prepared.OriginalSpan(i + k, i + k + 1);
                    tokens.Add(Token.Fixed(syllables[k], text[i + k], from, to));
                }
                i += length;
                continue;
            }

            // A lone surrogate decodes as U+FFFD, which has no reading and is dropped.
            Rune.DecodeFromUtf16(text.AsSpan(i), out var rune, out var consumed);
            if (TryRead(rune, out var reading))
            {
                var source = rune.IsBmp ? (char)rune.Value : '\0';
                var (from, to) = prepared.OriginalSpan(i, i + consumed);
                tokens.Add(prepared.IsNumeric(i) ? Token.InNumber(reading, source, from, to) : Token.Single(reading, source, from, to));
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

    /// <summary>The pinyin, and its map when <paramref name="map"/> is given (one writer, so both forms are the same text).</summary>
    private static (string Text, MappedText? Map) Render(List<Token> tokens, MappedText.Builder? map)
    {
        var output = new StringBuilder(tokens.Count * 5);
        foreach (var token in tokens)
        {
            if (token.Kind == TokenKind.Pause)
            {
                TrimEndSpace(output, map);
                if (output.Length == 0 || EndsWith(output, token.Text))
                    continue; // no leading pause, and "！！" or "……" pause once
                output.Append(token.Text).Append(' ');
                map?.Append(token.Text, token.From, token.To).Insert(" ");
            }
            else
            {
                if (output.Length > 0 && output[^1] != ' ')
                {
                    output.Append(' ');
                    map?.Insert(" ");
                }
                output.Append(token.Text);
                map?.Append(token.Text, token.From, token.To);
            }
        }
        TrimEndSpace(output, map);
        return (output.ToString(), map?.Build());
    }

    private static void TrimEndSpace(StringBuilder output, MappedText.Builder? map)
    {
        while (output.Length > 0 && output[^1] == ' ')
            output.Length--;
        map?.TrimEnd();
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

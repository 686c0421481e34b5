using System.Text;

namespace Orleans.Tts.Synthesis.Text;

/// <summary>
/// Splits text into sentences at CJK and Latin sentence punctuation and blank lines, keeping
/// closing quotes and brackets with their sentence. Sentences longer than
/// <paramref name="maxSentenceChars"/> are split further at clause punctuation, then at spaces,
/// so that streaming and engines with input limits always get bounded pieces.
/// </summary>
public sealed class SentenceSplitter(int maxSentenceChars = 300)
{
    private static readonly HashSet<string> Abbreviations = new(StringComparer.OrdinalIgnoreCase)
    {
        "mr", "mrs", "ms", "dr", "prof", "sr", "jr", "st", "vs", "etc", "e.g", "i.e", "no", "fig", "inc", "ltd", "co", "mt", "approx",
    };

    public int MaxSentenceChars { get; } = maxSentenceChars > 20
        ? maxSentenceChars
        : throw new ArgumentOutOfRangeException(nameof(maxSentenceChars), "A sentence limit must be above 20 characters.");

    public IReadOnlyList<string> Split(string text)
    {
        var sentences = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '\n' or '\r')
            {
                // Line ends bound sentences too: titles and list items rarely end with punctuation.
                Flush(current, sentences);
                continue;
            }
            current.Append(c);
            if (!IsTerminal(text, i, current)) continue;
            // Keep trailing closers and further terminal marks (“?!”, ”, 」, ）).
            while (i + 1 < text.Length && (IsCloser(text[i + 1]) || text[i + 1] is '!' or '?' or '！' or '？' or '。' or '…'))
                current.Append(text[++i]);
            Flush(current, sentences);
        }
        Flush(current, sentences);
        return sentences;
    }

    /// <summary>
    /// <see cref="Split(string)"/> with each sentence's source map (word timings): every sentence is a trimmed piece of the text,
    /// found in order from where the one before ended (what lies between holds no letter or digit, so it cannot hold a sentence).
    /// </summary>
    public IReadOnlyList<MappedText> Split(MappedText text)
    {
        var sentences = Split(text.Text);
        var mapped = new List<MappedText>(sentences.Count);
        var from = 0;
        foreach (var sentence in sentences)
        {
            var at = text.Text.IndexOf(sentence, from, StringComparison.Ordinal);
            if (at < 0) throw new InvalidOperationException("A sentence is not a piece of the text it was split from.");
            mapped.Add(text.Slice(at, sentence.Length));
            from = at + sentence.Length;
        }
        return mapped;
    }

    private static bool IsTerminal(string text, int i, StringBuilder current)
    {
        var c = text[i];
        switch (c)
        {
            case '。' or '！' or '？' or '；' or '…' or '!' or '?' or ';':
                return true;
            case '.':
                var next = i + 1 < text.Length ? text[i + 1] : ' ';
                if (!char.IsWhiteSpace(next) && !IsCloser(next)) return false; // 3.5, example.com
                return !IsAbbreviation(current);
            default:
                return false;
        }
    }

    private static bool IsAbbreviation(StringBuilder current)
    {
        var end = current.Length - 1; // the '.'
        var start = end;
        while (start > 0 && (char.IsLetter(current[start - 1]) || current[start - 1] == '.')) start--;
        var word = current.ToString(start, end - start);
        return word.Length > 0 && (Abbreviations.Contains(word) || word.Length == 1 && char.IsUpper(word[0]));
    }

    private static bool IsCloser(char c) => c is '"' or '\'' or ')' or ']' or '}' or '”' or '’' or '」' or '』' or '）' or '】' or '》' or '〉';

    private void Flush(StringBuilder current, List<string> sentences)
    {
        var s = current.ToString().Trim();
        current.Clear();
        if (s.Length == 0 || !ScriptSegmenter.IsLetterOrDigit(s)) return;
        if (s.Length <= MaxSentenceChars)
        {
            sentences.Add(s);
            return;
        }
        SplitLong(s, sentences);
    }

    private void SplitLong(string s, List<string> sentences)
    {
        while (s.Length > MaxSentenceChars)
        {
            var cut = LastIndexOfAny(s, MaxSentenceChars, static c => c is '，' or ',' or '、' or '：' or ':' or '—' or '–');
            if (cut < MaxSentenceChars / 3) cut = LastIndexOfAny(s, MaxSentenceChars, char.IsWhiteSpace);
            if (cut < MaxSentenceChars / 3) cut = MaxSentenceChars - 1;
            if (char.IsHighSurrogate(s[cut])) cut--;
            var head = s[..(cut + 1)].Trim();
            if (head.Length > 0) sentences.Add(head);
            s = s[(cut + 1)..].Trim();
        }
        if (s.Length > 0 && ScriptSegmenter.IsLetterOrDigit(s)) sentences.Add(s);
    }

    private static int LastIndexOfAny(string s, int limit, Func<char, bool> match)
    {
        for (var i = Math.Min(limit, s.Length) - 1; i > 0; i--)
            if (match(s[i])) return i;
        return -1;
    }
}

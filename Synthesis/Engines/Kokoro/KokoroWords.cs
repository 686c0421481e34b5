using System.Globalization;
using System.Text;

namespace Orleans.Tts.Synthesis.Engines.Kokoro;

/// <summary>
/// Word times from a Kokoro model's per-token durations. The phoneme words (tokens between spaces) are paired in order with
/// the written words of the sentence. When their counts differ (eSpeak speaks "of the" as one word, reads "120" as three),
/// they are paired clause by clause (eSpeak's clauses end at . ? ! , : ;) and a clause whose counts differ becomes one entry
/// over its written words; when even the clauses do not pair up, the caller keeps the sentence span.
/// </summary>
public static class KokoroWords
{
    private const string ClauseEnds = ".?!,:;";

    /// <summary>
    /// The words of <paramref name="sentence"/> with their sample times, or null when its written and phoneme words do not
    /// pair up. <paramref name="starts"/>/<paramref name="ends"/> hold each token's samples in the clip (-1 for a token
    /// that was not voiced).
    /// </summary>
    public static IReadOnlyList<WordTiming>? Times(string sentence, IReadOnlyList<KokoroToken> tokens, int[] starts, int[] ends)
    {
        var written = WrittenClauses(sentence);
        var spoken = Spoken(tokens, starts, ends);
        var writtenCount = written.Sum(c => c.Count);
        if (writtenCount == 0) return null;
        // One clause each when the words pair up as a whole, so a clause break eSpeak did not make does not matter then.
        if (writtenCount == spoken.Sum(c => c.Count))
            (written, spoken) = ([[.. written.SelectMany(c => c)]], [[.. spoken.SelectMany(c => c)]]);
        else if (written.Count != spoken.Count)
            return null;
        var words = new List<WordTiming>(writtenCount);
        for (var c = 0; c < written.Count; c++)
        {
            var (w, p) = (written[c], spoken[c]);
            if (w.Count == 0 || p.Count == 0) continue;
            if (w.Count == p.Count)
                for (var i = 0; i < w.Count; i++) words.Add(Word(w[i].Start, w[i].End, p[i].Start, p[i].End));
            else
                words.Add(Word(w[0].Start, w[^1].End, p[0].Start, p[^1].End));
        }
        return words;
    }

    private static WordTiming Word(int textStart, int textEnd, int start, int end) => new(textStart, textEnd, start, Math.Max(start, end));

    /// <summary>The written words: runs without white space holding a letter or digit, their outer punctuation left out.</summary>
    public static List<(int Start, int End)> Written(string sentence) => [.. WrittenClauses(sentence).SelectMany(c => c)];

    /// <summary>The written words by clause: a word followed by one of <see cref="ClauseEnds"/> ends its clause.</summary>
    private static List<List<(int Start, int End)>> WrittenClauses(string sentence)
    {
        var clauses = new List<List<(int Start, int End)>> { new() };
        var i = 0;
        while (i < sentence.Length)
        {
            while (i < sentence.Length && char.IsWhiteSpace(sentence[i])) i++;
            var (runStart, start) = (i, i);
            while (i < sentence.Length && !char.IsWhiteSpace(sentence[i])) i++;
            var (end, run) = (i, i);
            while (start < end && char.IsPunctuation(sentence[start])) start++;
            while (end > start && char.IsPunctuation(sentence[end - 1])) end--;
            var word = HasLetterOrDigit(sentence.AsSpan(start, end - start));
            if (word) clauses[^1].Add((start, end));
            // The punctuation after a word, or a run of only punctuation (" , "), may close the clause.
            var after = word ? sentence.AsSpan(end, run - end) : sentence.AsSpan(runStart, run - runStart);
            if (clauses[^1].Count > 0 && after.ContainsAny(ClauseEnds)) clauses.Add([]);
        }
        if (clauses[^1].Count == 0) clauses.RemoveAt(clauses.Count - 1);
        return clauses;
    }

    /// <summary>
    /// The spoken words by clause: tokens between spaces, from the first voiced non-punctuation token's start to the last's
    /// end; a word followed by a clause's closing punctuation ends its clause.
    /// </summary>
    private static List<List<(int Start, int End)>> Spoken(IReadOnlyList<KokoroToken> tokens, int[] starts, int[] ends)
    {
        var clauses = new List<List<(int Start, int End)>> { new() };
        int start = -1, end = -1;
        var closes = false;
        for (var i = 0; i <= tokens.Count; i++)
        {
            if (i == tokens.Count || tokens[i].Symbol == new Rune(' '))
            {
                if (start >= 0) clauses[^1].Add((start, end));
                if (closes && clauses[^1].Count > 0) clauses.Add([]);
                start = end = -1;
                closes = false;
                continue;
            }
            if (IsPunctuation(tokens[i].Symbol))
            {
                // Punctuation is a pause after the word, not part of it.
                closes |= tokens[i].Symbol.IsAscii && ClauseEnds.Contains((char)tokens[i].Symbol.Value);
                continue;
            }
            // A token cut off (-1) has no time.
            if (starts[i] < 0) continue;
            if (start < 0) start = starts[i];
            end = ends[i];
        }
        if (clauses[^1].Count == 0) clauses.RemoveAt(clauses.Count - 1);
        return clauses;
    }

    private static bool HasLetterOrDigit(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (char.IsLetterOrDigit(c)) return true;
        return false;
    }

    // Connector punctuation (the IPA tie ‿, '_') joins sounds inside a word; it does not end one.
    private static bool IsPunctuation(Rune symbol) =>
        Rune.IsPunctuation(symbol) && Rune.GetUnicodeCategory(symbol) != UnicodeCategory.ConnectorPunctuation;
}

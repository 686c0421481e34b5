using System.Globalization;
using System.Text;

namespace Orleans.Tts.Synthesis.Engines.Kokoro;

/// <summary>
/// Word times from a Kokoro model's per-token durations. The phoneme words (tokens between spaces) are paired in order with
/// the written words of the sentence; when their counts differ (eSpeak speaks "of the" as one word, reads "120" as three)
/// no pairing is trusted and the caller keeps the sentence span.
/// </summary>
public static class KokoroWords
{
    /// <summary>
    /// The words of <paramref name="sentence"/> with their sample times, or null when its written and phoneme words do not
    /// pair up. <paramref name="starts"/>/<paramref name="ends"/> hold each token's samples in the clip (-1 for a token
    /// that was not voiced).
    /// </summary>
    public static IReadOnlyList<WordTiming>? Times(string sentence, IReadOnlyList<KokoroToken> tokens, int[] starts, int[] ends)
    {
        var written = Written(sentence);
        var spoken = Spoken(tokens, starts, ends);
        if (written.Count == 0 || written.Count != spoken.Count) return null;
        var words = new List<WordTiming>(written.Count);
        for (var i = 0; i < written.Count; i++)
            words.Add(new WordTiming(written[i].Start, written[i].End, spoken[i].Start, Math.Max(spoken[i].Start, spoken[i].End)));
        return words;
    }

    /// <summary>The written words: runs without white space holding a letter or digit, their outer punctuation left out.</summary>
    public static List<(int Start, int End)> Written(string sentence)
    {
        var words = new List<(int Start, int End)>();
        var i = 0;
        while (i < sentence.Length)
        {
            while (i < sentence.Length && char.IsWhiteSpace(sentence[i])) i++;
            var start = i;
            while (i < sentence.Length && !char.IsWhiteSpace(sentence[i])) i++;
            var end = i;
            while (start < end && char.IsPunctuation(sentence[start])) start++;
            while (end > start && char.IsPunctuation(sentence[end - 1])) end--;
            if (HasLetterOrDigit(sentence.AsSpan(start, end - start))) words.Add((start, end));
        }
        return words;
    }

    private static bool HasLetterOrDigit(ReadOnlySpan<char> text)
    {
        foreach (var c in text)
            if (char.IsLetterOrDigit(c)) return true;
        return false;
    }

    /// <summary>The spoken words: tokens between spaces, from the first voiced non-punctuation token's start to the last's end.</summary>
    private static List<(int Start, int End)> Spoken(IReadOnlyList<KokoroToken> tokens, int[] starts, int[] ends)
    {
        var words = new List<(int Start, int End)>();
        int start = -1, end = -1;
        for (var i = 0; i <= tokens.Count; i++)
        {
            if (i == tokens.Count || tokens[i].Symbol == new Rune(' '))
            {
                if (start >= 0) words.Add((start, end));
                start = end = -1;
                continue;
            }
            // Punctuation is a pause after the word, not part of it; a token cut off (-1) has no time.
            if (starts[i] < 0 || IsPunctuation(tokens[i].Symbol)) continue;
            if (start < 0) start = starts[i];
            end = ends[i];
        }
        return words;
    }

    private static bool IsPunctuation(Rune symbol) => Rune.GetUnicodeCategory(symbol) is UnicodeCategory.OtherPunctuation
        or UnicodeCategory.DashPunctuation or UnicodeCategory.OpenPunctuation or UnicodeCategory.ClosePunctuation
        or UnicodeCategory.InitialQuotePunctuation or UnicodeCategory.FinalQuotePunctuation;
}

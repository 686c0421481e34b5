using System.Text;

namespace Orleans.Tts.Synthesis.Engines.Kokoro;

/// <summary>
/// Splits a token sequence longer than one Kokoro inference takes: at the last sentence end that fits, else the
/// last clause break, else the last space, else hard at the limit. Spaces at a cut are dropped.
/// </summary>
public static class KokoroChunks
{
    /// <summary>Tokens one inference takes: 510 input ids less the two 0 pads.</summary>
    public const int MaxTokens = 508;

    private static readonly string[] Breaks = [".!?…", ":;", ",—", " "];

    public static List<List<KokoroToken>> Split(IReadOnlyList<KokoroToken> tokens, int maxTokens = MaxTokens) =>
        [.. Ranges(tokens, maxTokens).Select(r => tokens.Skip(r.Start).Take(r.Count).ToList())];

    /// <summary>The chunks of <see cref="Split"/> as ranges of <paramref name="tokens"/> (so a token's place in the input is known).</summary>
    public static List<(int Start, int Count)> Ranges(IReadOnlyList<KokoroToken> tokens, int maxTokens = MaxTokens)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxTokens, 1);
        var chunks = new List<(int Start, int Count)>();
        var start = 0;
        while (start < tokens.Count)
        {
            while (start < tokens.Count && IsSpace(tokens[start])) start++;
            if (start >= tokens.Count) break;
            var remaining = tokens.Count - start;
            var length = remaining <= maxTokens ? remaining : CutLength(tokens, start, maxTokens);
            var count = length;
            while (count > 0 && IsSpace(tokens[start + count - 1])) count--;
            if (count > 0) chunks.Add((start, count));
            start += length;
        }
        return chunks;
    }

    private static int CutLength(IReadOnlyList<KokoroToken> tokens, int start, int maxTokens)
    {
        foreach (var marks in Breaks)
        {
            for (var i = start + maxTokens - 1; i > start; i--)
                if (tokens[i].Symbol.IsBmp && marks.Contains((char)tokens[i].Symbol.Value))
                    return i - start + 1;
        }
        return maxTokens;
    }

    private static bool IsSpace(KokoroToken token) => token.Symbol == new Rune(' ');
}

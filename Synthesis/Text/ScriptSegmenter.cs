using System.Globalization;
using System.Text;

namespace Orleans.Tts.Synthesis.Text;

/// <summary>Writing systems that select a language inside mixed text.</summary>
public enum Script
{
    /// <summary>Digits, punctuation, spaces and symbols: they follow their neighbours.</summary>
    Neutral,
    Han,
    Kana,
    Hangul,
    /// <summary>Latin and every other alphabet (Cyrillic, Greek, …).</summary>
    Alphabetic,
}

public sealed record ScriptRun(Script Script, string Text);

/// <summary>
/// Splits text into runs of one script, so that <c>我们用 Kubernetes 部署服务</c> becomes
/// Han "我们用 ", Alphabetic "Kubernetes ", Han "部署服务". Neutral characters join the run
/// they stand in; digits written right before Han (<c>2026年</c>) join the Han run.
/// </summary>
public static class ScriptSegmenter
{
    public static Script Classify(int codePoint) => codePoint switch
    {
        >= 0x3040 and <= 0x30FF or >= 0x31F0 and <= 0x31FF or >= 0xFF66 and <= 0xFF9F => Script.Kana,
        >= 0x4E00 and <= 0x9FFF or >= 0x3400 and <= 0x4DBF or >= 0xF900 and <= 0xFAFF
            or >= 0x20000 and <= 0x3FFFF or 0x3005 or 0x3007 => Script.Han,
        >= 0xAC00 and <= 0xD7A3 or >= 0x1100 and <= 0x11FF or >= 0x3130 and <= 0x318F => Script.Hangul,
        _ when Rune.IsValid(codePoint) && Rune.IsLetter(new Rune(codePoint)) => Script.Alphabetic,
        _ => Script.Neutral,
    };

    public static IReadOnlyList<ScriptRun> Split(string text)
    {
        var runs = new List<ScriptRun>();
        var current = new StringBuilder();
        var currentScript = Script.Neutral;
        var pending = new StringBuilder(); // neutral characters not yet assigned

        foreach (var rune in text.EnumerateRunes())
        {
            var script = Classify(rune.Value);
            if (script == Script.Neutral)
            {
                pending.Append(rune.ToString());
                continue;
            }
            if (currentScript == Script.Neutral || script == currentScript)
            {
                current.Append(pending).Append(rune.ToString());
                pending.Clear();
                currentScript = script;
                continue;
            }
            // Script change: the neutral gap goes to the run before it, except a number written
            // straight before Han, which is read as part of the Han (2026年, 3个).
            var gap = pending.ToString();
            var carry = script == Script.Han ? TrailingNumber(gap) : 0;
            current.Append(gap, 0, gap.Length - carry);
            runs.Add(new ScriptRun(currentScript, current.ToString()));
            current.Clear().Append(gap, gap.Length - carry, carry).Append(rune.ToString());
            pending.Clear();
            currentScript = script;
        }
        current.Append(pending);
        if (current.Length > 0) runs.Add(new ScriptRun(currentScript, current.ToString()));
        return runs;
    }

    private static int TrailingNumber(string gap)
    {
        var n = 0;
        for (var i = gap.Length - 1; i >= 0; i--)
        {
            var c = gap[i];
            if (char.IsAsciiDigit(c) || (n > 0 && c is '.' or ',' or '-' or '+') || c == '%') n++;
            else break;
        }
        // A number must start with a digit or sign, not with a separator.
        while (n > 0 && gap[gap.Length - n] is '.' or ',') n--;
        return n;
    }

    /// <summary>True when the text holds any character of the script.</summary>
    public static bool Contains(string text, Script script)
    {
        foreach (var rune in text.EnumerateRunes())
            if (Classify(rune.Value) == script) return true;
        return false;
    }

    internal static bool IsLetterOrDigit(string text) =>
        text.EnumerateRunes().Any(r => Rune.IsLetterOrDigit(r) || CharUnicodeInfo.GetUnicodeCategory(r.Value) == UnicodeCategory.OtherLetter);
}

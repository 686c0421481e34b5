using System.Diagnostics.CodeAnalysis;

namespace Orleans.Tts.Synthesis.Text.Chinese;

/// <summary>Maps CJK and ASCII punctuation to the ASCII marks eSpeak pauses on.</summary>
internal static class PunctuationMarks
{
    public static bool TryMap(char c, [NotNullWhen(true)] out string? mark)
    {
        mark = c switch
        {
            '，' or ',' or '、' or '﹐' or '､' => ",",
            '。' or '.' or '．' or '｡' => ".",
            '？' or '?' => "?",
            '！' or '!' => "!",
            '；' or ';' => ";",
            '：' or ':' => ":",
            '…' => "...",
            // Dashes and brackets set off an aside: pause as for a comma.
            '—' or '－' or '（' or '）' or '(' or ')' or '【' or '】' or '[' or ']' => ",",
            _ => null,
        };
        return mark is not null;
    }
}

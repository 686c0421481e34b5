using System.Text;

namespace Orleans.Tts.Synthesis;

/// <summary>
/// Client text made safe for every later stage: lone surrogates (JSON allows "\ud800") and noncharacters (U+FFFE, U+FFFF,
/// U+FDD0–U+FDEF and the last two code points of every plane) become U+FFFD, which Unicode normalisation, UTF-8 encoding
/// and the engines all accept; such code points name no character, so nothing speakable is lost. U+0000 becomes a space:
/// the engines take C strings, so a NUL would silently end the text there (a leading one gave empty audio). Decimal digits of
/// other scripts (Arabic-Indic ٣, Devanagari ३, fullwidth ３) become ASCII digits: the voices read numbers in their own language
/// and said nothing for digits they do not know. Every replacement is one UTF-16 unit for one, so spans into the cleaned text
/// are spans into the client's text.
/// </summary>
public static class SpeakableText
{
    public static string Clean(string text)
    {
        var bad = FirstInvalid(text);
        if (bad < 0) return text;
        var clean = new StringBuilder(text.Length);
        clean.Append(text, 0, bad);
        for (var i = bad; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                var pair = char.ConvertToUtf32(text[i], text[i + 1]);
                clean.Append(IsNoncharacter(pair) ? "\uFFFD" : text.AsSpan(i, 2));
                i++;
            }
            else clean.Append(Replacement(text[i]));
        }
        return clean.ToString();
    }

    private static int FirstInvalid(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\0' || IsForeignDigit(c)) return i;
            if (c < '\uD800') continue;
            if (char.IsHighSurrogate(c) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                if (IsNoncharacter(char.ConvertToUtf32(c, text[i + 1]))) return i;
                i++;
            }
            else if (char.IsSurrogate(c) || IsNoncharacter(c)) return i;
        }
        return -1;
    }

    private static char Replacement(char c) =>
        c == '\0' ? ' '
        : IsForeignDigit(c) ? (char)('0' + (int)char.GetNumericValue(c))
        : char.IsSurrogate(c) || IsNoncharacter(c) ? '\uFFFD'
        : c;

    private static bool IsForeignDigit(char c) => c > '9' && char.IsDigit(c);

    private static bool IsNoncharacter(int codePoint) => codePoint is >= 0xFDD0 and <= 0xFDEF || (codePoint & 0xFFFE) == 0xFFFE;
}

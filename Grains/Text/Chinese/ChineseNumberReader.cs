using System.Text;

namespace Orleans.Tts.Grains.Text.Chinese;

/// <summary>A numeral found in text: how many chars it spans and how it is read, in Han characters.</summary>
public sealed record ChineseNumeral(int Length, string Han);

/// <summary>
/// Reads Arabic numerals the way a Mandarin speaker would: cardinals (123 → 一百二十三, 20005 → 两万零五),
/// decimals (3.5 → 三点五), negatives (-3 → 负三), percentages (50% → 百分之五十), years before 年 and long
/// digit strings digit by digit (2026年 → 二零二六年, 11-digit mobile numbers, 12+ digits, leading zeros).
/// Pure functions; no state.
/// </summary>
public static class ChineseNumberReader
{
    /// <summary>Ungrouped digit strings this long are phone or account numbers, read digit by digit.</summary>
    public const int DigitByDigitThreshold = 12;

    private const int MaxCardinalDigits = 16;
    private const string DigitChars = "零一二三四五六七八九";

    // After a lone 2 these take 两 (两个, 两天, 两万); dates (2月, 2号) keep 二.
    private const string MeasureWords = "个位只本次天年件张条种台辆家块岁名份杯瓶斤倍周层句篇首部双对点分秒小千万亿颗棵支片遍趟顿间座所门场项";

    /// <summary>Rewrites every Arabic numeral in <paramref name="text"/> as Chinese numerals.</summary>
    public static string Rewrite(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = new StringBuilder(text.Length * 2);
        for (var i = 0; i < text.Length;)
        {
            if (TryRead(text, i, out var numeral))
            {
                result.Append(numeral.Han);
                i += numeral.Length;
            }
            else
            {
                result.Append(text[i]);
                i++;
            }
        }
        return result.ToString();
    }

    /// <summary>
    /// Reads the numeral starting at <paramref name="start"/> (a digit, or a minus sign before one), using the
    /// characters around it for context (年, measure words, a digit before the minus sign).
    /// </summary>
    public static bool TryRead(ReadOnlySpan<char> text, int start, out ChineseNumeral numeral)
    {
        numeral = null!;
        if ((uint)start >= (uint)text.Length)
            return false;

        var pos = start;
        var negative = false;
        if (IsMinus(text[pos]))
        {
            // "3-5" is a range or a code, not minus five.
            if (pos + 1 >= text.Length || !IsDigit(text[pos + 1]) ||
                (pos > 0 && (IsDigit(text[pos - 1]) || char.IsAsciiLetter(text[pos - 1]))))
                return false;
            negative = true;
            pos++;
        }
        if (!IsDigit(text[pos]))
            return false;

        var integer = new StringBuilder();
        while (pos < text.Length && IsDigit(text[pos]))
            integer.Append(DigitValue(text[pos++]));

        var grouped = false;
        if (integer.Length <= 3)
        {
            while (IsThousandsGroup(text, pos))
            {
                for (var k = 1; k <= 3; k++)
                    integer.Append(DigitValue(text[pos + k]));
                pos += 4;
                grouped = true;
            }
        }

        string? fraction = null;
        if (pos + 1 < text.Length && text[pos] is '.' or '．' && IsDigit(text[pos + 1]))
        {
            var digits = new StringBuilder();
            pos++;
            while (pos < text.Length && IsDigit(text[pos]))
                digits.Append(DigitValue(text[pos++]));
            fraction = digits.ToString();
        }

        var percent = pos < text.Length && text[pos] is '%' or '％';
        if (percent)
            pos++;

        var next = pos < text.Length ? text[pos] : '\0';
        var plain = !negative && !grouped && fraction is null && !percent;
        var digitsText = integer.ToString();

        string body;
        if (plain && digitsText.Length == 4 && next == '年')
            body = DigitByDigit(digitsText);
        else if (plain && digitsText == "2" && MeasureWords.Contains(next))
            body = "两";
        else
            body = ReadInteger(digitsText, grouped);

        if (fraction is not null)
            body = $"{body}点{DigitByDigit(fraction)}";
        if (percent)
            body = "百分之" + body;
        if (negative)
            body = "负" + body;

        numeral = new ChineseNumeral(pos - start, body);
        return true;
    }

    /// <summary>Cardinal reading: 0 → 零, 10 → 十, 123 → 一百二十三, 20005 → 两万零五, 100000000 → 一亿.</summary>
    public static string Cardinal(long value)
    {
        if (value < 0)
            return "负" + Cardinal(value == long.MinValue ? throw new ArgumentOutOfRangeException(nameof(value)) : -value);
        if (value == 0)
            return "零";
        var result = new StringBuilder();
        AppendCardinal(result, value, leading: true);
        return result.ToString();
    }

    /// <summary>Digit by digit: "2026" → 二零二六. Non-digits are skipped.</summary>
    public static string DigitByDigit(ReadOnlySpan<char> digits)
    {
        var result = new StringBuilder(digits.Length);
        foreach (var c in digits)
        {
            if (IsDigit(c))
                result.Append(DigitChars[DigitValue(c) - '0']);
        }
        return result.ToString();
    }

    private static string ReadInteger(string digits, bool grouped)
    {
        var readAsCode = digits.Length > MaxCardinalDigits
            || (!grouped && digits.Length >= DigitByDigitThreshold)
            || (!grouped && digits.Length == 11 && digits[0] == '1') // mainland mobile numbers: 1xx xxxx xxxx
            || (digits.Length > 1 && digits[0] == '0'); // 007, 0755: codes keep their zeros
        return readAsCode ? DigitByDigit(digits) : Cardinal(long.Parse(digits, System.Globalization.CultureInfo.InvariantCulture));
    }

    private static void AppendCardinal(StringBuilder result, long value, bool leading)
    {
        if (value >= 1_0000_0000)
            AppendWithUnit(result, value / 1_0000_0000, value % 1_0000_0000, '亿', 1000_0000, leading);
        else if (value >= 1_0000)
            AppendWithUnit(result, value / 1_0000, value % 1_0000, '万', 1000, leading);
        else
            AppendSection(result, (int)value, leading);
    }

    private static void AppendWithUnit(StringBuilder result, long high, long low, char unit, long fullLow, bool leading)
    {
        if (high == 2 && leading)
            result.Append('两');
        else
            AppendCardinal(result, high, leading);
        result.Append(unit);
        if (low == 0)
            return;
        if (low < fullLow)
            result.Append('零'); // 两万零五, 一亿零一万
        AppendCardinal(result, low, leading: false);
    }

    /// <summary>1–9999 with 千/百/十, one 零 for each run of inner zeros.</summary>
    private static void AppendSection(StringBuilder result, int value, bool leading)
    {
        ReadOnlySpan<int> places = [1000, 100, 10, 1];
        ReadOnlySpan<char> units = ['千', '百', '十', '\0'];
        var started = false;
        var zeroPending = false;
        for (var i = 0; i < places.Length; i++)
        {
            var digit = value / places[i] % 10;
            if (digit == 0)
            {
                zeroPending |= started;
                continue;
            }
            if (zeroPending)
            {
                result.Append('零');
                zeroPending = false;
            }
            var first = leading && !started;
            if (first && digit == 1 && places[i] == 10)
                result.Append('十'); // 十五, not 一十五; but 一百一十 inside a number
            else
            {
                result.Append(first && digit == 2 && places[i] == 1000 ? '两' : DigitChars[digit]);
                if (units[i] != '\0')
                    result.Append(units[i]);
            }
            started = true;
        }
    }

    private static bool IsThousandsGroup(ReadOnlySpan<char> text, int pos) =>
        pos + 3 < text.Length && text[pos] == ','
        && IsDigit(text[pos + 1]) && IsDigit(text[pos + 2]) && IsDigit(text[pos + 3])
        && (pos + 4 >= text.Length || !IsDigit(text[pos + 4]));

    internal static bool IsDigit(char c) => c is >= '0' and <= '9' or >= '０' and <= '９';

    internal static bool IsMinus(char c) => c is '-' or '−' or '－';

    private static char DigitValue(char c) => c <= '9' ? c : (char)(c - '０' + '0');
}

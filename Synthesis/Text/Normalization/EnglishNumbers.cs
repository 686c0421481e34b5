using System.Globalization;
using System.Text;

namespace Orleans.Tts.Synthesis.Text.Normalization;

/// <summary>English number words: cardinals, ordinals, years, digit strings. Pure functions.</summary>
public static class EnglishNumbers
{
    private static readonly string[] Ones =
        ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"];
    private static readonly string[] Tens = ["", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"];
    private static readonly (long Value, string Name)[] Scales =
        [(1_000_000_000_000_000, "quadrillion"), (1_000_000_000_000, "trillion"), (1_000_000_000, "billion"), (1_000_000, "million"), (1_000, "thousand")];

    /// <summary>Beyond this, a digit string is read digit by digit (account numbers, IDs).</summary>
    public const int MaxCardinalDigits = 15;

    public static string Cardinal(long value)
    {
        if (value < 0) return "minus " + Cardinal(value == long.MinValue ? long.MaxValue : -value);
        if (value < 20) return Ones[value];
        var words = new List<string>();
        foreach (var (scale, name) in Scales)
        {
            if (value < scale) continue;
            words.Add(Cardinal(value / scale) + " " + name);
            value %= scale;
        }
        if (value >= 100)
        {
            words.Add(Ones[value / 100] + " hundred");
            value %= 100;
        }
        if (value > 0) words.Add(BelowHundred((int)value));
        return string.Join(" ", words);
    }

    /// <summary>"1" → first, "22" → twenty-second, "100" → one hundredth.</summary>
    public static string Ordinal(long value)
    {
        var cardinal = Cardinal(value);
        var split = Math.Max(cardinal.LastIndexOf(' '), cardinal.LastIndexOf('-')) + 1;
        var last = cardinal[split..];
        var ordinal = last switch
        {
            "one" => "first",
            "two" => "second",
            "three" => "third",
            "five" => "fifth",
            "eight" => "eighth",
            "nine" => "ninth",
            "twelve" => "twelfth",
            _ when last.EndsWith('y') => last[..^1] + "ieth",
            _ => last + "th",
        };
        return cardinal[..split] + ordinal;
    }

    /// <summary>As years are said: 1984 → nineteen eighty-four, 1905 → nineteen oh five, 2000 → two thousand, 2026 → twenty twenty-six.</summary>
    public static string Year(int year)
    {
        if (year is < 1000 or > 9999) return Cardinal(year);
        var high = year / 100;
        var low = year % 100;
        if (year % 1000 < 10 && high % 10 == 0) return Cardinal(year);   // 2000, 2005, 1000
        if (low == 0) return Cardinal(high) + " hundred";                 // 1900
        return Cardinal(high) + " " + (low < 10 ? "oh " + Ones[low] : BelowHundred(low));
    }

    /// <summary>"0755" → zero seven five five.</summary>
    public static string Digits(ReadOnlySpan<char> digits)
    {
        var words = new List<string>(digits.Length);
        foreach (var c in digits)
            if (char.IsAsciiDigit(c)) words.Add(Ones[c - '0']);
        return string.Join(" ", words);
    }

    /// <summary>A written number: "1,234" → cardinal, "3.14" → three point one four, "-2" → minus two, "007" → digits.</summary>
    public static string Number(string written)
    {
        var negative = written.StartsWith('-') || written.StartsWith('−');
        var body = negative ? written[1..] : written;
        var dot = body.IndexOf('.');
        var integer = (dot < 0 ? body : body[..dot]).Replace(",", "", StringComparison.Ordinal);
        var fraction = dot < 0 ? null : body[(dot + 1)..];

        string words;
        if (integer.Length == 0) words = "zero";
        else if (integer.Length > MaxCardinalDigits || (integer.Length > 1 && integer[0] == '0' && fraction is null)) words = Digits(integer);
        else words = Cardinal(long.Parse(integer, CultureInfo.InvariantCulture));
        if (fraction is { Length: > 0 }) words += " point " + Digits(fraction);
        return negative ? "minus " + words : words;
    }

    private static string BelowHundred(int value) =>
        value < 20 ? Ones[value] : Tens[value / 10] + (value % 10 == 0 ? "" : "-" + Ones[value % 10]);

    internal static string Join(params string?[] parts) =>
        new StringBuilder().AppendJoin(' ', parts.Where(p => !string.IsNullOrEmpty(p))).ToString();
}

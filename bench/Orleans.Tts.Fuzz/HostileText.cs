using System.Text;

namespace Orleans.Tts.Fuzz;

/// <summary>Strings and JSON fragments that break naive parsers: controls, bidi and zero-width marks, lone surrogates, huge numbers.</summary>
public static class HostileText
{
    /// <summary>Characters that are legal in JSON (escaped) but hostile to text processing.</summary>
    public static readonly string[] OddCharacters =
    [
        "\u0000", "\u0001", "\u0007", "\b", "\t", "\n", "\r", "\u001b", "\u007f", "\u0085", "\u00a0",
        "\u202e", "\u202d", "\u202a", "\u202c", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c",
        "\u200b", "\u200c", "\u200d", "\ufeff", "\u2060", "\u00ad", "\u034f", "\u180e",
        "\u0301", "\u0300\u0301\u0302\u0303", "\u2028", "\u2029", "\ufffd", "\ufffe", "\uffff",
        "\U0010ffff", "\U000e0001", "\U0001f600", "\U0001f468\u200d\U0001f469\u200d\U0001f467", "\U0001f1fa\U0001f1f8",
        "你好", "こんにちは", "안녕", "مرحبا", "שלום", "नमस्ते", "สวัสดี", "Ελλάδα", "Ꙭ", "ß", "İ", "ﬃ", "Å", "\u3000",
        "０１２３", "٣٤٥", "½", "Ⅻ", "①", "𝟘𝟙", "1,000,000", "3.14", "-0", "12:30", "2026-11-22", "$5", "€", "%",
        "<", ">", "&", "&amp;", "]]>", "<!--", "\"", "\\", "'", "`", "${x}", "{0}", "%s%n", "../", "..\\", "/etc/passwd",
    ];

    /// <summary>JSON string escapes for UTF-16 code units that are not characters: lone and reversed surrogates.</summary>
    public static readonly string[] SurrogateEscapes = [@"\ud800", @"\udfff", @"\ud800\ud800", @"\udc00\ud800", @"\ud83d", @"x\ud800y", @"\ud800\u0041"];

    /// <summary>Number literals at and beyond the edges of double and of every integer type.</summary>
    public static readonly string[] NumberLiterals =
    [
        "0", "-0", "1", "-1", "0.25", "4", "4.0000000001", "0.2499999999", "12", "-12", "12.000001", "1e400", "-1e400", "1e-400",
        "1.7976931348623157e308", "-1.7976931348623157e308", "4.9e-324", "99999999999999999999999999999999", "9223372036854775808",
        "-9223372036854775809", "2147483648", "1E+2", "1e0", "0.0000000000000000000000000001", "123456789.123456789",
        "1" + new string('0', 40), "0." + new string('0', 40) + "1",
    ];

    /// <summary>Tokens that are not JSON but look like numbers or literals.</summary>
    public static readonly string[] BadLiterals = ["NaN", "Infinity", "-Infinity", "+1", "01", ".5", "5.", "1e", "0x10", "tru", "nul", "True", "None", "undefined", "1_000"];

    /// <summary>Invalid UTF-8 byte sequences: stray continuations, overlong forms, surrogates, out-of-range, truncated.</summary>
    public static readonly byte[][] InvalidUtf8 =
    [
        [0x80], [0xbf], [0xc0, 0xaf], [0xc1, 0xbf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xed, 0xbf, 0xbf],
        [0xf4, 0x90, 0x80, 0x80], [0xf5, 0x80, 0x80, 0x80], [0xff], [0xfe], [0xe2, 0x82], [0xf0, 0x9f, 0x98], [0xc3],
        [0xf8, 0x88, 0x80, 0x80, 0x80], [0x00],
    ];

    public static T Pick<T>(this Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    /// <summary>A short string of hostile characters mixed with words (what a fuzzer would type), unescaped.</summary>
    public static string Mixed(Random random, int parts)
    {
        var text = new StringBuilder();
        for (var i = 0; i < parts; i++)
        {
            text.Append(random.Next(4) switch
            {
                0 => random.Pick(["Hello", "ok", "a", "Hi.", "42", "Dr.", "e.g.", "U.S.A.", "1st", "5%", "3/4", "www.x.io", "a@b.c"]),
                1 => random.Pick(OddCharacters),
                2 => new string(random.Pick(OddCharacters)[0], random.Next(1, 40)),
                _ => " ",
            });
        }
        return text.ToString();
    }

    /// <summary>Escapes <paramref name="text"/> as the inside of a JSON string (no quotes), optionally with every character as \uXXXX.</summary>
    public static string JsonEscape(string text, bool escapeAll = false)
    {
        var json = new StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (escapeAll || c < 0x20 || c == '"' || c == '\\' || char.IsSurrogate(c))
                json.Append(c switch { '"' => "\\\"", '\\' => "\\\\", '\n' when !escapeAll => "\\n", _ => $"\\u{(int)c:x4}" });
            else json.Append(c);
        }
        return json.ToString();
    }

    public static string Quote(string text) => "\"" + JsonEscape(text) + "\"";
}

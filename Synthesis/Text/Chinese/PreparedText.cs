using System.Text;

namespace Orleans.Tts.Synthesis.Text.Chinese;

/// <summary>Input text with its Arabic numerals already spelt in Han characters, remembering which chars came from them.</summary>
internal sealed class PreparedText
{
    private readonly bool[] _numeric;

    private PreparedText(string text, bool[] numeric)
    {
        Text = text;
        _numeric = numeric;
    }

    public string Text { get; }

    public bool IsNumeric(int index) => _numeric[index];

    public bool AnyNumeric(int start, int length) => _numeric.AsSpan(start, length).Contains(true);

    public static PreparedText From(string text)
    {
        var builder = new StringBuilder(text.Length + 16);
        var numeric = new List<bool>(text.Length + 16);
        for (var i = 0; i < text.Length;)
        {
            if (ChineseNumberReader.CanStart(text[i]) && ChineseNumberReader.TryRead(text, i, out var numeral))
            {
                builder.Append(numeral.Han);
                // A lone 一 or 两 is an ordinary word (一个, 一月): let the phrase table and sandhi see it.
                var inNumber = numeral.Han.Length > 1;
                for (var k = 0; k < numeral.Han.Length; k++)
                    numeric.Add(inNumber);
                i += numeral.Length;
            }
            else
            {
                builder.Append(text[i]);
                numeric.Add(false);
                i++;
            }
        }
        return new PreparedText(builder.ToString(), [.. numeric]);
    }
}

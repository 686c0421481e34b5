using System.Text;

namespace Orleans.Tts.Synthesis.Text.Chinese;

/// <summary>Input text with its Arabic numerals already spelt in Han characters, remembering which chars came from them.</summary>
internal sealed class PreparedText
{
    private readonly bool[] _numeric;
    // For each unit of Text, the first unit of the original text it reads (a numeral's Han all read its digits); null when the
    // caller wants no spans (plain pinyin, every untimed request), so that path builds no map.
    private readonly int[]? _from;
    private readonly int _originalLength;

    private PreparedText(string text, bool[] numeric, int[]? from, int originalLength)
    {
        Text = text;
        _numeric = numeric;
        _from = from;
        _originalLength = originalLength;
    }

    /// <summary>The span of the original text that units [start, end) of <see cref="Text"/> read; (0, 0) without a map.</summary>
    public (int Start, int End) OriginalSpan(int start, int end)
    {
        if (_from is null) return (0, 0);
        var from = _from[start];
        // A unit's span ends where the next different original unit starts.
        var to = _originalLength;
        for (var i = end; i < _from.Length; i++)
            if (_from[i] != _from[end - 1]) { to = _from[i]; break; }
        return (from, to);
    }

    public string Text { get; }

    public bool IsNumeric(int index) => _numeric[index];

    public bool AnyNumeric(int start, int length) => _numeric.AsSpan(start, length).Contains(true);

    /// <param name="mapped">Keep, for each unit, where in <paramref name="text"/> it came from (<see cref="OriginalSpan"/>).</param>
    public static PreparedText From(string text, bool mapped)
    {
        var builder = new StringBuilder(text.Length + 16);
        var numeric = new List<bool>(text.Length + 16);
        var from = mapped ? new List<int>(text.Length + 16) : null;
        for (var i = 0; i < text.Length;)
        {
            if (ChineseNumberReader.CanStart(text[i]) && ChineseNumberReader.TryRead(text, i, out var numeral))
            {
                builder.Append(numeral.Han);
                // A lone 一 or 两 is an ordinary word (一个, 一月): let the phrase table and sandhi see it.
                var inNumber = numeral.Han.Length > 1;
                for (var k = 0; k < numeral.Han.Length; k++)
                {
                    numeric.Add(inNumber);
                    from?.Add(i);
                }
                i += numeral.Length;
            }
            else
            {
                builder.Append(text[i]);
                numeric.Add(false);
                from?.Add(i);
                i++;
            }
        }
        return new PreparedText(builder.ToString(), [.. numeric], from?.ToArray(), text.Length);
    }
}

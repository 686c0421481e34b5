using System.Text;
using System.Text.RegularExpressions;

namespace Orleans.Tts.Synthesis.Text;

/// <summary>
/// Text derived from a source text (the client's input) with, for each UTF-16 unit, the span [start, end) of the source it came
/// from: normalisation, sentence splitting and the engines' front ends carry it along, so a word an engine reports in the text
/// it was given ("hundred" of "one hundred twenty dollars") maps back to what the client wrote ("$120"). Built only for requests
/// that ask for word timings; every other request takes the plain string paths.
/// </summary>
public sealed class MappedText
{
    private readonly int[] _starts, _ends;

    private MappedText(string text, int[] starts, int[] ends)
    {
        Text = text;
        _starts = starts;
        _ends = ends;
    }

    public string Text { get; }

    public int Length => Text.Length;

    /// <summary>The text is its own source (shifted by <paramref name="offset"/>).</summary>
    public static MappedText Identity(string text, int offset = 0)
    {
        var starts = new int[text.Length];
        var ends = new int[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            starts[i] = offset + i;
            ends[i] = offset + i + 1;
        }
        return new(text, starts, ends);
    }

    /// <summary>Every unit of <paramref name="text"/> comes from the whole source span [start, end) (a rewrite whose parts are not known).</summary>
    public static MappedText Uniform(string text, int start, int end)
    {
        var starts = new int[text.Length];
        var ends = new int[text.Length];
        Array.Fill(starts, start);
        Array.Fill(ends, end);
        return new(text, starts, ends);
    }

    /// <summary>From the interleaved (start, end) pairs of <see cref="ToPairs"/>; null when they do not fit the text.</summary>
    public static MappedText? FromPairs(string text, int[]? pairs)
    {
        if (pairs is null || pairs.Length != text.Length * 2) return null;
        var starts = new int[text.Length];
        var ends = new int[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            starts[i] = pairs[2 * i];
            ends[i] = pairs[2 * i + 1];
        }
        return new(text, starts, ends);
    }

    /// <summary>The map as interleaved (start, end) pairs: how it crosses the wire with a planned sentence.</summary>
    public int[] ToPairs()
    {
        var pairs = new int[Text.Length * 2];
        for (var i = 0; i < Text.Length; i++)
        {
            pairs[2 * i] = _starts[i];
            pairs[2 * i + 1] = _ends[i];
        }
        return pairs;
    }

    /// <summary>The source span of the units [start, end) (clamped to the text); an empty range is the point where it stands.</summary>
    public (int Start, int End) SourceOf(int start, int end)
    {
        start = Math.Clamp(start, 0, Text.Length);
        end = Math.Clamp(end, start, Text.Length);
        if (Text.Length == 0) return (0, 0);
        if (start == end)
        {
            var at = start < Text.Length ? _starts[start] : _ends[^1];
            return (at, at);
        }
        int min = int.MaxValue, max = int.MinValue;
        for (var i = start; i < end; i++)
        {
            min = Math.Min(min, _starts[i]);
            max = Math.Max(max, _ends[i]);
        }
        return (min, max);
    }

    /// <summary>The span of the whole text in its source.</summary>
    public (int Start, int End) Source => SourceOf(0, Text.Length);

    public MappedText Slice(int start, int length) =>
        new(Text.Substring(start, length), _starts.AsSpan(start, length).ToArray(), _ends.AsSpan(start, length).ToArray());

    public MappedText Trim()
    {
        var start = 0;
        while (start < Text.Length && char.IsWhiteSpace(Text[start])) start++;
        var end = Text.Length;
        while (end > start && char.IsWhiteSpace(Text[end - 1])) end--;
        return start == 0 && end == Text.Length ? this : Slice(start, end - start);
    }

    /// <summary>
    /// <see cref="Regex.Replace(string, MatchEvaluator)"/> with the map carried along: the text is exactly what the plain replace
    /// gives, and every unit of a replacement comes from the whole source span of the text it replaced.
    /// </summary>
    public MappedText Replace(Regex regex, MatchEvaluator evaluator)
    {
        var matches = new List<(int Index, int Length, string Value)>();
        var replaced = regex.Replace(Text, m =>
        {
            var value = evaluator(m);
            matches.Add((m.Index, m.Length, value));
            return value;
        });
        if (matches.Count == 0) return this;
        var builder = new Builder(replaced.Length);
        var at = 0;
        foreach (var (index, length, value) in matches)
        {
            builder.Append(Slice(at, index - at));
            var (start, end) = SourceOf(index, index + length);
            builder.Append(value, start, end);
            at = index + length;
        }
        builder.Append(Slice(at, Text.Length - at));
        var result = builder.Build();
        return result.Text == replaced ? result : throw new InvalidOperationException("A mapped replace diverged from the plain one.");
    }

    public override string ToString() => Text;

    /// <summary>Concatenates mapped pieces (and inserted text, mapped to a span of the caller's choosing).</summary>
    public sealed class Builder(int capacity = 16)
    {
        private readonly StringBuilder _text = new(capacity);
        private readonly List<int> _starts = new(capacity), _ends = new(capacity);

        public int Length => _text.Length;

        public Builder Append(MappedText piece)
        {
            _text.Append(piece.Text);
            _starts.AddRange(piece._starts);
            _ends.AddRange(piece._ends);
            return this;
        }

        /// <summary>Text that came from the source span [start, end).</summary>
        public Builder Append(string text, int start, int end)
        {
            _text.Append(text);
            for (var i = 0; i < text.Length; i++)
            {
                _starts.Add(start);
                _ends.Add(end);
            }
            return this;
        }

        /// <summary>Text inserted between pieces (a joining space): it comes from the empty span where the text so far ends.</summary>
        public Builder Insert(string text)
        {
            var at = _ends.Count > 0 ? _ends[^1] : 0;
            return Append(text, at, at);
        }

        public void Clear()
        {
            _text.Clear();
            _starts.Clear();
            _ends.Clear();
        }

        public void TrimEnd()
        {
            while (_text.Length > 0 && _text[^1] == ' ')
            {
                _text.Length--;
                _starts.RemoveAt(_starts.Count - 1);
                _ends.RemoveAt(_ends.Count - 1);
            }
        }

        public bool EndsWith(string value) => _text.Length >= value.Length && _text.ToString(_text.Length - value.Length, value.Length) == value;

        public char? Last => _text.Length > 0 ? _text[^1] : null;

        public MappedText Build() => new(_text.ToString(), [.. _starts], [.. _ends]);
    }
}

using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Synthesis.Text;

namespace Orleans.Tts.Speech.Ssml;

/// <summary>
/// The SSML subset this server speaks: speak, break, prosody (rate, pitch, volume), say-as (characters, cardinal, ordinal,
/// date, time, telephone), sub, lang, voice, p, s. Anything else is an error with its position: SSML is never read aloud as
/// text. No DTD and no external resources are ever processed.
/// </summary>
public sealed partial class SsmlParser(SsmlLimits limits)
{
    public const string Namespace = "http://www.w3.org/2001/10/synthesis";
    public static readonly IReadOnlyList<string> Elements = ["speak", "break", "prosody", "say-as", "sub", "lang", "voice", "p", "s"];
    public static readonly IReadOnlyList<string> InterpretAs = ["characters", "spell-out", "cardinal", "number", "ordinal", "date", "time", "telephone"];

    private static readonly Dictionary<string, double> BreakStrengths = new(StringComparer.Ordinal)
    {
        ["none"] = 0, ["x-weak"] = 0.1, ["weak"] = 0.25, ["medium"] = 0.5, ["strong"] = 0.75, ["x-strong"] = 1.2,
    };
    private static readonly Dictionary<string, double> Rates = new(StringComparer.Ordinal)
    {
        ["x-slow"] = 0.5, ["slow"] = 0.75, ["medium"] = 1, ["default"] = 1, ["fast"] = 1.25, ["x-fast"] = 1.75,
    };
    private static readonly Dictionary<string, double> Pitches = new(StringComparer.Ordinal)
    {
        ["x-low"] = -6, ["low"] = -3, ["medium"] = 0, ["default"] = 0, ["high"] = 3, ["x-high"] = 6,
    };
    private static readonly Dictionary<string, double> Volumes = new(StringComparer.Ordinal)
    {
        ["silent"] = double.NegativeInfinity, ["x-soft"] = -12, ["soft"] = -6, ["medium"] = 0, ["default"] = 0, ["loud"] = 4, ["x-loud"] = 8,
    };

    public SsmlLimits Limits => limits;

    /// <summary>Input that starts as an XML document (a speak element, an XML declaration or a DTD) is SSML, and never read as text.</summary>
    public static bool LooksLikeSsml(string input)
    {
        var start = input.AsSpan().TrimStart();
        return start.StartsWith("<speak", StringComparison.Ordinal) || start.StartsWith("<?xml", StringComparison.OrdinalIgnoreCase)
            || start.StartsWith("<!DOCTYPE", StringComparison.OrdinalIgnoreCase);
    }

    /// <param name="language">The request voice's language, for say-as forms that differ by language (ordinals, dates).</param>
    /// <param name="map">Word timings wanted: each spoken segment carries its map to the text content of <paramref name="ssml"/>.</param>
    public SsmlDocument Parse(string ssml, string language, bool map = false)
    {
        if (ssml.Length > limits.MaxCharacters)
            throw new SsmlException(new($"The SSML document has {ssml.Length} characters; at most {limits.MaxCharacters} are allowed.", 1, 1, null));
        var doctype = ssml.IndexOf("<!DOCTYPE", StringComparison.OrdinalIgnoreCase);
        if (doctype >= 0)
        {
            var (line, column) = Position(ssml, doctype);
            throw new SsmlException(new("SSML must not contain a document type declaration (<!DOCTYPE>): DTDs and entity declarations are not allowed.", line, column, null));
        }

        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = limits.MaxCharacters,
            MaxCharactersFromEntities = 0,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            CloseInput = true,
        };
        try
        {
            using var reader = XmlReader.Create(new StringReader(ssml), settings);
            return new Walk(this, reader, language, map ? new SourceText(ssml) : null).Run();
        }
        catch (XmlException e)
        {
            throw new SsmlException(new($"The SSML is not well-formed XML: {TrimPosition(e.Message)}", Math.Max(1, e.LineNumber), Math.Max(1, e.LinePosition), null));
        }
    }

    private static (int Line, int Column) Position(string text, int index)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < index; i++)
        {
            if (text[i] != '\n') continue;
            line++;
            lineStart = i + 1;
        }
        return (line, index - lineStart + 1);
    }

    private static string TrimPosition(string message) => LinePosition().Replace(message, "").TrimEnd();

    [GeneratedRegex(@"\s*Line \d+, position \d+\.?")]
    private static partial Regex LinePosition();

    /// <summary>
    /// The SSML input as the reader's text nodes came from it: a node's value (entities decoded, line ends normalised) aligned
    /// with the characters it was read from, so word timings point into the markup's text content.
    /// </summary>
    private sealed class SourceText(string ssml)
    {
        private readonly int[] _lineStarts = LineStarts(ssml);

        private static int[] LineStarts(string text)
        {
            var starts = new List<int> { 0 };
            for (var i = 0; i < text.Length; i++)
                if (text[i] == '\n') starts.Add(i + 1);
            return [.. starts];
        }

        /// <summary>The index of 1-based line and column (the reader's position of a node).</summary>
        public int Index(int line, int column) =>
            line < 1 || line > _lineStarts.Length ? ssml.Length : Math.Min(ssml.Length, _lineStarts[line - 1] + Math.Max(column, 1) - 1);

        public MappedText Align(string value, int at)
        {
            if (string.CompareOrdinal(ssml, at, "<![CDATA[", 0, 9) == 0) at += 9;
            var mapped = new MappedText.Builder(value.Length);
            var i = at;
            foreach (var c in value)
            {
                var from = Math.Min(i, ssml.Length);
                // A '&' in markup always starts an entity or character reference (a literal one is not well-formed).
                if (i < ssml.Length && ssml[i] == '&' && ssml.IndexOf(';', i) is var semi and > 0) i = semi + 1;
                else if (i < ssml.Length && ssml[i] == c) i++;
                else if (c == '\n' && i + 1 < ssml.Length && ssml[i] == '\r' && ssml[i + 1] == '\n') i += 2;
                else i++;
                mapped.Append(c.ToString(), from, Math.Min(i, ssml.Length));
            }
            return mapped.Build();
        }
    }

    /// <summary>One pass over the document; holds the state of that pass only.</summary>
    private sealed class Walk(SsmlParser parser, XmlReader reader, string language, SourceText? source)
    {
        // With word timings: the map of _text, and the span of the say-as or sub content being read.
        private readonly MappedText.Builder? _map = source is null ? null : new();
        private int _contentFrom = -1, _contentTo = -1;
        private readonly IXmlLineInfo _position = (IXmlLineInfo)reader;
        private readonly List<SpeechSegment> _segments = [];
        private readonly List<SsmlReference> _references = [];
        private readonly Stack<Frame> _frames = new();
        private readonly StringBuilder _text = new();
        private SegmentStyle _textStyle = SegmentStyle.Default;
        private int _elements;
        private double _breakSeconds;
        private (int Line, int Column)? _sayAs;
        private SsmlLimits Limits => parser.Limits;

        /// <summary>An open element: its style, and for say-as and sub the text it collects or replaces.</summary>
        private sealed record Frame(string Name, SegmentStyle Style, StringBuilder? Collected = null, string? InterpretAs = null, string? Format = null, string? Alias = null)
        {
            public (int Line, int Column) Position { get; init; }
        }

        public SsmlDocument Run()
        {
            while (reader.Read())
            {
                switch (reader.NodeType)
                {
                    case XmlNodeType.Element:
                        Open();
                        break;
                    case XmlNodeType.EndElement:
                        Close();
                        break;
                    case XmlNodeType.Text or XmlNodeType.CDATA or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace:
                        _node = source is null ? null : source.Align(reader.Value, source.Index(_position.LineNumber, _position.LinePosition));
                        AddText(reader.Value);
                        break;
                }
            }
            Flush();
            return new SsmlDocument(_segments, _references);
        }

        // The map of the text node being added (word timings only).
        private MappedText? _node;

        private void Open()
        {
            var name = reader.LocalName;
            if (name is "say-as" or "sub") _contentFrom = _contentTo = -1;
            if (reader.NamespaceURI is not ("" or Namespace))
                Fail($"The element <{reader.Name}> is in namespace '{reader.NamespaceURI}'; SSML elements must be in no namespace or in {Namespace}.", name);
            if (++_elements > Limits.MaxElements) Fail($"The SSML has more than {Limits.MaxElements} elements.", name);
            if (_frames.Count >= Limits.MaxDepth) Fail($"SSML elements are nested more than {Limits.MaxDepth} deep.", name);
            if (_frames.Count == 0 && name != "speak") Fail($"The root element must be <speak>, not <{name}>.", name);
            if (_frames.Count > 0 && name == "speak") Fail("<speak> may only be the root element.", name);
            if (_frames.TryPeek(out var parent) && parent.Name is "say-as" or "sub")
                Fail($"<{parent.Name}> may contain only text, not <{name}>.", name);

            var style = _frames.TryPeek(out var top) ? top.Style : SegmentStyle.Default;
            Frame frame = name switch
            {
                "speak" => new(name, Style(style, "version", "xmlns", "xml:lang")),
                "p" or "s" => new(name, Style(style)),
                "break" => Break(style),
                "prosody" => new(name, Prosody(style)),
                "voice" => new(name, Voice(style)),
                "lang" => new(name, Lang(style)),
                "say-as" => SayAs(style),
                "sub" => Sub(style),
                _ => throw Error($"<{name}> is not supported. Supported SSML elements: {string.Join(", ", Elements)}.", name),
            };
            if (name is "p" or "s") Boundary(name == "p");
            frame = frame with { Position = (_position.LineNumber, _position.LinePosition) };
            if (reader.IsEmptyElement)
            {
                if (name is "say-as" or "sub") Close(frame);
                return;
            }
            _frames.Push(frame);
        }

        private void Close() => Close(_frames.Pop());

        private void Close(Frame frame)
        {
            switch (frame.Name)
            {
                case "say-as":
                    _sayAs = frame.Position; // content errors point at the say-as element, not at its end tag
                    AddText(SayAsText(frame.Collected!.ToString(), frame.InterpretAs!, frame.Format), frame.Style, raw: true);
                    _sayAs = null;
                    break;
                case "sub":
                    AddText(frame.Alias!, frame.Style, raw: true);
                    break;
                case "p" or "s":
                    Boundary(frame.Name == "p");
                    break;
            }
        }

        private void AddText(string value)
        {
            // Outside the root only white space can occur (the XML reader refuses anything else): nothing to speak.
            if (!_frames.TryPeek(out var top)) return;
            if (top.Collected is not null || top.Name == "sub")
            {
                // What a say-as reads or a sub replaces: its words map to the whole of this content.
                if (_node is { Length: > 0 } node)
                {
                    var (from, to) = node.Source;
                    _contentFrom = _contentFrom < 0 ? from : Math.Min(_contentFrom, from);
                    _contentTo = Math.Max(_contentTo, to);
                }
            }
            if (top.Collected is not null) top.Collected.Append(value);
            else if (top.Name != "sub") AddText(value, top.Style, raw: false);
        }

        private void AddText(string value, SegmentStyle style, bool raw)
        {
            if (style != _textStyle)
            {
                Flush();
                _textStyle = style;
            }
            // Line ends in the source are layout; only <s> and <p> end sentences.
            _text.Append(raw ? $" {value} " : value.Replace('\n', ' '));
            if (_map is null) return;
            if (!raw && _node is not null && _node.Length == value.Length) _map.Append(_node);
            else if (raw && _contentFrom >= 0) _map.Insert(" ").Append(value, _contentFrom, _contentTo).Insert(" ");
            else _map.Insert(raw ? $" {value} " : value);
        }

        /// <summary>Sentences and paragraphs end at their element: a line end the sentence splitter honours; a short pause between paragraphs.</summary>
        private void Boundary(bool paragraph)
        {
            _text.Append('\n');
            _map?.Insert("\n");
            if (!paragraph) return;
            Flush();
            if (_segments.Count > 0 && _segments[^1] is not PauseSegment) _segments.Add(new PauseSegment(TimeSpan.FromSeconds(0.3)));
        }

        private void Flush()
        {
            if (_map is not null)
            {
                var mapped = _map.Build().Replace(Whitespace(), m => m.Value.Contains('\n') ? "\n" : " ").Trim();
                _map.Clear();
                _text.Clear();
                if (mapped.Length > 0) _segments.Add(new SpokenSegment(mapped.Text, _textStyle, mapped.ToPairs()));
                return;
            }
            var text = Whitespace().Replace(_text.ToString(), m => m.Value.Contains('\n') ? "\n" : " ").Trim();
            _text.Clear();
            if (text.Length > 0) _segments.Add(new SpokenSegment(text, _textStyle));
        }

        private Frame Break(SegmentStyle style)
        {
            if (!reader.IsEmptyElement) Fail("<break> must be empty: <break time=\"500ms\"/>.", "break");
            var attributes = Attributes("break", "time", "strength");
            double seconds;
            if (attributes.TryGetValue("time", out var time))
            {
                var match = BreakTime().Match(time);
                if (!match.Success) Fail($"<break time=\"{time}\"> is not a duration; write it like 500ms or 1.5s.", "break");
                seconds = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) / (match.Groups[2].Value == "ms" ? 1000 : 1);
            }
            else if (attributes.TryGetValue("strength", out var strength))
            {
                if (!BreakStrengths.TryGetValue(strength, out seconds))
                    Fail($"<break strength=\"{strength}\"> is not a strength; use one of {string.Join(", ", BreakStrengths.Keys)}.", "break");
            }
            else seconds = BreakStrengths["medium"];
            if (seconds > Limits.MaxBreakSeconds) Fail($"<break> of {seconds:0.###} s is longer than the {Limits.MaxBreakSeconds} s allowed.", "break");
            _breakSeconds += seconds;
            if (_breakSeconds > Limits.MaxTotalBreakSeconds) Fail($"The breaks add up to more than the {Limits.MaxTotalBreakSeconds} s allowed in one document.", "break");
            Flush();
            if (seconds > 0) _segments.Add(new PauseSegment(TimeSpan.FromSeconds(seconds)));
            return new Frame("break", style);
        }

        private SegmentStyle Prosody(SegmentStyle style)
        {
            var attributes = Attributes("prosody", "rate", "pitch", "volume");
            if (attributes.Count == 0) Fail("<prosody> needs at least one of rate, pitch, volume.", "prosody");
            if (attributes.TryGetValue("rate", out var rate)) style = style with { Rate = style.Rate * ParseRate(rate) };
            if (attributes.TryGetValue("pitch", out var pitch)) style = style with { Pitch = style.Pitch + ParsePitch(pitch) };
            if (attributes.TryGetValue("volume", out var volume)) style = style with { Gain = style.Gain * ParseVolume(volume) };
            if (style.Rate is < SynthesisRequest.MinSpeed or > SynthesisRequest.MaxSpeed)
                Fail($"Nested <prosody rate> multiply to {style.Rate:0.###}; the rate must stay from {SynthesisRequest.MinSpeed} to {SynthesisRequest.MaxSpeed}.", "prosody");
            if (style.Pitch is < SynthesisRequest.MinPitch or > SynthesisRequest.MaxPitch)
                Fail($"Nested <prosody pitch> add up to {style.Pitch:+0.##;-0.##} semitones; pitch must stay within ±{SynthesisRequest.MaxPitch} semitones.", "prosody");
            return style;
        }

        private double ParseRate(string value)
        {
            if (Rates.TryGetValue(value, out var keyword)) return keyword;
            var m = Relative().Match(value);
            double rate = 0;
            if (m.Success && m.Groups["unit"].Value == "%")
            {
                var n = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
                rate = m.Groups["sign"].Success ? 1 + Sign(m) * n / 100 : n / 100;
            }
            else if (m.Success && m.Groups["unit"].Value == "" && !m.Groups["sign"].Success)
                rate = double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
            if (rate is < SynthesisRequest.MinSpeed or > SynthesisRequest.MaxSpeed)
                Fail($"<prosody rate=\"{value}\"> is not allowed: use x-slow, slow, medium, fast, x-fast, a multiplier (0.8) or a percentage (80%, +20%) giving {SynthesisRequest.MinSpeed}–{SynthesisRequest.MaxSpeed}× speed.", "prosody");
            return rate;
        }

        private double ParsePitch(string value)
        {
            if (Pitches.TryGetValue(value, out var keyword)) return keyword;
            var m = Relative().Match(value);
            if (m.Success && m.Groups["sign"].Success && m.Groups["unit"].Value is "st" or "%")
            {
                var n = Sign(m) * double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
                var semitones = m.Groups["unit"].Value == "st" ? n : n > -100 ? 12 * Math.Log2(1 + n / 100) : double.NegativeInfinity;
                if (semitones is >= SynthesisRequest.MinPitch and <= SynthesisRequest.MaxPitch) return semitones;
            }
            throw Error($"<prosody pitch=\"{value}\"> is not allowed: use x-low, low, medium, high, x-high, or a relative change in semitones (+2st) or percent (-10%) within ±{SynthesisRequest.MaxPitch} semitones. Absolute pitch (Hz) is not supported.", "prosody");
        }

        private double ParseVolume(string value)
        {
            double db;
            if (Volumes.TryGetValue(value, out var keyword)) db = keyword;
            else
            {
                var m = Relative().Match(value);
                if (m.Success && m.Groups["sign"].Success && m.Groups["unit"].Value == "dB")
                    db = Sign(m) * double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture);
                else if (m.Success && !m.Groups["sign"].Success && m.Groups["unit"].Value == "" && double.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture) is var level and <= 100)
                    return level / 100; // SSML 1.0's absolute scale: 0 silent … 100 full (the default)
                else db = double.NaN;
            }
            if (double.IsNaN(db) || db > 12)
                Fail($"<prosody volume=\"{value}\"> is not allowed: use silent, x-soft, soft, medium, loud, x-loud, a change in decibels up to +12dB (-6dB, +3dB) or a level from 0 to 100.", "prosody");
            return double.IsNegativeInfinity(db) ? 0 : Math.Pow(10, db / 20);
        }

        private static double Sign(Match m) => m.Groups["sign"].Value == "-" ? -1 : 1;

        private SegmentStyle Voice(SegmentStyle style)
        {
            var attributes = Attributes("voice", "name");
            if (!attributes.TryGetValue("name", out var name) || name.Length == 0) Fail("<voice> needs a name: a voice id from /v1/voices.", "voice");
            _references.Add(new SsmlReference(name, false, _position.LineNumber, _position.LinePosition));
            return style with { VoiceId = name, Language = null };
        }

        private SegmentStyle Lang(SegmentStyle style)
        {
            var attributes = Attributes("lang", "xml:lang");
            if (!attributes.TryGetValue("xml:lang", out var tag) || !LanguageTag().IsMatch(tag))
                Fail("<lang> needs xml:lang with a language tag such as fr or en-GB.", "lang");
            _references.Add(new SsmlReference(tag, true, _position.LineNumber, _position.LinePosition));
            return style with { VoiceId = null, Language = tag };
        }

        private Frame SayAs(SegmentStyle style)
        {
            var attributes = Attributes("say-as", "interpret-as", "format", "detail");
            if (!attributes.TryGetValue("interpret-as", out var kind) || !InterpretAs.Contains(kind))
                Fail($"<say-as interpret-as=\"{kind}\"> is not supported; use one of {string.Join(", ", InterpretAs)}.", "say-as");
            attributes.TryGetValue("format", out var format);
            return new Frame("say-as", style, new StringBuilder(), kind, format);
        }

        private Frame Sub(SegmentStyle style)
        {
            var attributes = Attributes("sub", "alias");
            if (!attributes.TryGetValue("alias", out var alias)) Fail("<sub> needs alias: the text to say instead of its content.", "sub");
            return new Frame("sub", style, Alias: alias);
        }

        private SegmentStyle Style(SegmentStyle style, params string[] allowed)
        {
            Attributes(reader.LocalName, allowed);
            return style;
        }

        private Dictionary<string, string> Attributes(string element, params string[] allowed)
        {
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            if (!reader.MoveToFirstAttribute()) return result;
            do
            {
                var name = reader.Name;
                if (name.StartsWith("xmlns", StringComparison.Ordinal) && allowed.Contains("xmlns")) continue;
                if (!allowed.Contains(name))
                {
                    var list = allowed.Length == 0 ? "none" : string.Join(", ", allowed.Where(a => a != "xmlns"));
                    reader.MoveToElement();
                    Fail($"<{element}> does not support the attribute '{name}'. Allowed: {list}.", element);
                }
                result[name] = reader.Value.Trim();
            }
            while (reader.MoveToNextAttribute());
            reader.MoveToElement();
            return result;
        }

        /// <summary>The say-as content rewritten into the form the text normalisers read as intended.</summary>
        private string SayAsText(string content, string kind, string? format)
        {
            var text = content.Trim();
            var mandarin = language.StartsWith("zh", StringComparison.OrdinalIgnoreCase) || language.StartsWith("cmn", StringComparison.OrdinalIgnoreCase);
            switch (kind)
            {
                case "characters" or "spell-out":
                    return string.Join(" ", text.EnumerateRunes().Where(r => !Rune.IsWhiteSpace(r)).Select(r => r.ToString()));
                case "cardinal" or "number":
                    return Number(text, kind);
                case "ordinal":
                    var n = Number(text, kind);
                    return mandarin ? "第" + n : n + OrdinalSuffix(n);
                case "telephone":
                    var groups = PhoneGroup().Matches(text).Select(g => string.Join(" ", g.Value.ToCharArray()));
                    var phone = string.Join(mandarin ? "，" : ", ", groups);
                    if (phone.Length == 0) Fail($"<say-as interpret-as=\"telephone\"> holds no digits: '{text}'.", "say-as");
                    return (text.StartsWith('+') ? (mandarin ? "加 " : "plus ") : "") + phone;
                case "date":
                    return Date(text, format, mandarin);
                default: // time: the normalisers read h:mm and h:mm:ss
                    if (!TimeOfDay().IsMatch(text)) Fail($"<say-as interpret-as=\"time\"> expects hh:mm or hh:mm:ss, got '{text}'.", "say-as");
                    return text;
            }
        }

        private string Number(string text, string kind)
        {
            var digits = text.Replace(",", "", StringComparison.Ordinal).Replace(" ", "", StringComparison.Ordinal);
            if (!SignedNumber().IsMatch(digits)) Fail($"<say-as interpret-as=\"{kind}\"> expects a number, got '{text}'.", "say-as");
            return digits;
        }

        private static string OrdinalSuffix(string n) =>
            n.EndsWith("11", StringComparison.Ordinal) || n.EndsWith("12", StringComparison.Ordinal) || n.EndsWith("13", StringComparison.Ordinal) ? "th"
            : n[^1] switch { '1' => "st", '2' => "nd", '3' => "rd", _ => "th" };

        private string Date(string text, string? format, bool mandarin)
        {
            // A part too long for an int is no day, month or year: it is reported below as an invalid date, never an overflow.
            var parts = DateParts().Matches(text).Select(m => int.TryParse(m.Value, CultureInfo.InvariantCulture, out var n) ? n : int.MaxValue).ToArray();
            var order = string.IsNullOrEmpty(format) ? (parts.Length == 3 && parts[0] > 31 ? "ymd" : "mdy") : format;
            if (order.Length != parts.Length || order.Any(c => c is not ('y' or 'm' or 'd')) || order.Distinct().Count() != order.Length || !order.Contains('m'))
                Fail($"<say-as interpret-as=\"date\"> could not read '{text}' with format '{order}'; formats are orders of y, m, d with a month, such as ymd, mdy, dmy, md, my.", "say-as");
            int? y = order.Contains('y') ? parts[order.IndexOf('y')] : null;
            var m = order.Contains('m') ? parts[order.IndexOf('m')] : 0;
            int? d = order.Contains('d') ? parts[order.IndexOf('d')] : null;
            if (m is < 1 or > 12 || d is < 1 or > 31) Fail($"<say-as interpret-as=\"date\">: '{text}' is not a valid date for format '{order}'.", "say-as");
            if (y is { } year && d is { } day) return $"{year:0000}-{m:00}-{day:00}";
            if (mandarin) return (y is { } yy ? $"{yy}年" : "") + $"{m}月" + (d is { } dd ? $"{dd}日" : "");
            var month = CultureInfo.InvariantCulture.DateTimeFormat.GetMonthName(m);
            return d is { } dday ? $"{month} {dday}{OrdinalSuffix(dday.ToString(CultureInfo.InvariantCulture))}" : y is { } yyy ? $"{month} {yyy}" : month;
        }

        [System.Diagnostics.CodeAnalysis.DoesNotReturn]
        private void Fail(string message, string element) => throw Error(message, element);

        private SsmlException Error(string message, string element)
        {
            var (line, column) = _sayAs ?? (_position.LineNumber, _position.LinePosition);
            return new(new SsmlError($"{message} (<{element}> at line {line}, column {column}.)", line, column, element));
        }
    }

    [GeneratedRegex(@"^([0-9]+(?:\.[0-9]+)?)(ms|s)$")]
    private static partial Regex BreakTime();

    [GeneratedRegex(@"^(?<sign>[+-])?(?<n>[0-9]+(?:\.[0-9]+)?)(?<unit>%|st|dB|)$")]
    private static partial Regex Relative();

    [GeneratedRegex(@"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")]
    private static partial Regex LanguageTag();

    [GeneratedRegex(@"[ \t\r\n]+")]
    private static partial Regex Whitespace();

    [GeneratedRegex(@"[0-9]+")]
    private static partial Regex PhoneGroup();

    [GeneratedRegex(@"[0-9]+")]
    private static partial Regex DateParts();

    [GeneratedRegex(@"^[-−]?[0-9]+(?:\.[0-9]+)?$")]
    private static partial Regex SignedNumber();

    [GeneratedRegex(@"^[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?$")]
    private static partial Regex TimeOfDay();
}

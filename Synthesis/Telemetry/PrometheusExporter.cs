using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;

namespace Orleans.Tts.Telemetry;

/// <summary>
/// Aggregates the measurements of one <see cref="Meter"/> with a <see cref="MeterListener"/> and writes
/// them in the Prometheus text exposition format (version 0.0.4): counters as sums with <c>_total</c>,
/// up-down counters and gauges as gauges, histograms as cumulative <c>_bucket</c>/<c>_sum</c>/<c>_count</c>.
/// </summary>
public sealed class PrometheusExporter : IDisposable
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private static readonly double[] DefaultBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    private readonly MeterListener _listener = new();
    private readonly Lock _gate = new();
    // Instruments in the order they were published, each with its series by label set.
    private readonly List<Family> _families = [];

    public PrometheusExporter(TtsMetrics metrics)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (!ReferenceEquals(instrument.Meter, metrics.Meter)) return;
            var family = new Family(instrument);
            lock (_gate) _families.Add(family);
            listener.EnableMeasurementEvents(instrument, family);
        };
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((Family)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Polls the observable instruments, then renders every series.</summary>
    public string Collect()
    {
        _listener.RecordObservableInstruments();
        var text = new StringBuilder();
        Family[] families;
        lock (_gate) families = [.. _families];
        foreach (var family in families) family.Write(text);
        return text.ToString();
    }

    public void Dispose() => _listener.Dispose();

    private enum Kind { Counter, Gauge, Histogram }

    private sealed class Family(Instrument instrument)
    {
        private readonly Kind _kind = instrument switch
        {
            Counter<long> or Counter<int> or Counter<double> or ObservableCounter<long> or ObservableCounter<int> or ObservableCounter<double> => Kind.Counter,
            Histogram<double> or Histogram<long> or Histogram<int> => Kind.Histogram,
            _ => Kind.Gauge,
        };
        private readonly bool _observable = instrument.IsObservable;
        private readonly bool _cumulative = instrument is UpDownCounter<int> or UpDownCounter<long> or UpDownCounter<double>;
        private readonly double[] _buckets = (instrument as Histogram<double>)?.Advice?.HistogramBucketBoundaries?.ToArray() ?? DefaultBuckets;
        private readonly Dictionary<string, Series> _series = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();

        public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var labels = Labels(tags);
            lock (_gate)
            {
                if (!_series.TryGetValue(labels, out var s)) _series[labels] = s = new Series(_buckets.Length);
                switch (_kind)
                {
                    case Kind.Histogram:
                        var i = 0;
                        while (i < _buckets.Length && value > _buckets[i]) i++;
                        s.Buckets[i]++;
                        s.Sum += value;
                        s.Count++;
                        break;
                    // Observable counters report the running total; synchronous ones and up-down counters report deltas.
                    case Kind.Counter when !_observable:
                    case Kind.Gauge when _cumulative:
                        s.Sum += value;
                        break;
                    default:
                        s.Sum = value;
                        break;
                }
            }
        }

        public void Write(StringBuilder text)
        {
            var name = Name();
            var type = _kind switch { Kind.Counter => "counter", Kind.Histogram => "histogram", _ => "gauge" };
            lock (_gate)
            {
                // An unlabelled up-down counter is 0 before its first change (e.g. an empty queue), so it is exported from the start.
                if (_series.Count == 0 && _cumulative) _series[""] = new Series(0);
                if (_series.Count == 0) return;
                text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(instrument.Description ?? instrument.Name)).Append('\n');
                text.Append("# TYPE ").Append(name).Append(' ').Append(type).Append('\n');
                foreach (var (labels, s) in _series)
                {
                    if (_kind != Kind.Histogram)
                    {
                        Sample(text, name, labels, null, s.Sum);
                        continue;
                    }
                    long cumulative = 0;
                    for (var i = 0; i < _buckets.Length; i++)
                    {
                        cumulative += s.Buckets[i];
                        Sample(text, name + "_bucket", labels, Number(_buckets[i]), cumulative);
                    }
                    Sample(text, name + "_bucket", labels, "+Inf", s.Count);
                    Sample(text, name + "_sum", labels, null, s.Sum);
                    Sample(text, name + "_count", labels, null, s.Count);
                }
            }
        }

        private string Name()
        {
            var name = Sanitize(instrument.Name);
            return _kind == Kind.Counter && !name.EndsWith("_total", StringComparison.Ordinal) ? name + "_total" : name;
        }

        private static void Sample(StringBuilder text, string name, string labels, string? le, double value)
        {
            text.Append(name);
            if (labels.Length > 0 || le is not null)
            {
                text.Append('{').Append(labels);
                if (le is not null) text.Append(labels.Length > 0 ? "," : "").Append("le=\"").Append(le).Append('"');
                text.Append('}');
            }
            text.Append(' ').Append(Number(value)).Append('\n');
        }

        private static string Labels(ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            if (tags.Length == 0) return "";
            var sorted = tags.ToArray();
            Array.Sort(sorted, (a, b) => string.CompareOrdinal(a.Key, b.Key));
            return string.Join(',', sorted.Select(t => $"{Sanitize(t.Key)}=\"{EscapeLabel(Convert.ToString(t.Value, CultureInfo.InvariantCulture) ?? "")}\""));
        }
    }

    private sealed class Series(int buckets)
    {
        public double Sum;
        public long Count;
        public long[] Buckets { get; } = new long[buckets + 1];
    }

    /// <summary>A metric or label name: [a-zA-Z_][a-zA-Z0-9_]*, other characters replaced by '_'.</summary>
    public static string Sanitize(string name)
    {
        var chars = name.Select(c => char.IsAsciiLetterOrDigit(c) || c == '_' ? c : '_').ToArray();
        var s = new string(chars);
        return s.Length == 0 || char.IsAsciiDigit(s[0]) ? "_" + s : s;
    }

    /// <summary>Label values escape backslash, double quote and line feed.</summary>
    public static string EscapeLabel(string value) => value.Replace("\\", @"\\").Replace("\"", "\\\"").Replace("\n", @"\n");

    /// <summary>HELP text escapes backslash and line feed.</summary>
    public static string EscapeHelp(string value) => value.Replace("\\", @"\\").Replace("\n", @"\n");

    public static string Number(double value) =>
        double.IsPositiveInfinity(value) ? "+Inf" : double.IsNegativeInfinity(value) ? "-Inf" : double.IsNaN(value) ? "NaN" : value.ToString("R", CultureInfo.InvariantCulture);
}

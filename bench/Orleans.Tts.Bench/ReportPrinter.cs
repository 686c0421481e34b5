using System.Globalization;

namespace Orleans.Tts.Bench;

/// <summary>The human-readable table of a <see cref="BenchReport"/>.</summary>
public static class ReportPrinter
{
    private const string Row = "{0,-6} {1,-30} {2,22} {3,22} {4,24} {5,-9} {6}";

    public static void Print(BenchReport report, TextWriter w)
    {
        var m = report.Machine;
        w.WriteLine();
        w.WriteLine(Inv($"Orleans.Tts bench, {report.Date:yyyy-MM-dd HH:mm} UTC: {m.Cores} cores ({m.CpuModel}), {m.MemTotalKiB / 1024.0 / 1024:0.0} GiB"));
        w.WriteLine(Inv($"Load average: {m.LoadAverageAtStart} at start, {m.LoadAverageAtEnd} at end; 1-min samples {m.Load1Min:0.00}–{m.Load1Max:0.00}"));
        w.WriteLine(Inv($"{report.Rounds} rounds. raw/http cells: best round [min–max of rounds]; 'http vs raw': median over rounds of the per-round ratio or difference [min–max]."));
        w.WriteLine(Inv($"Throughput: raw at concurrency {report.Corpora[0].Raw.Concurrency}, HTTP at {report.Corpora[0].Http.Concurrency}; latency at concurrency 1, each sentence spoken by both back to back."));
        w.WriteLine();
        w.WriteLine(string.Format(CultureInfo.InvariantCulture, Row, "corpus", "figure", "raw", "http", "http vs raw", "target", ""));
        w.WriteLine(new string('-', 124));
        foreach (var c in report.Corpora)
        {
            var ratio = report.Targets.First(t => t.Corpus == c.Corpus && t.Figure.StartsWith("HTTP/raw", StringComparison.Ordinal));
            var added = report.Targets.First(t => t.Corpus == c.Corpus && t.Figure.StartsWith("added", StringComparison.Ordinal));
            Line(w, c.Corpus, "throughput (sentences/s)", Cell(c.Raw.SentencesPerSecond, "0.0"), Cell(c.Http.SentencesPerSecond, "0.0"),
                Cell(c.ThroughputRatio, "0.000", median: true), ratio.Goal, Verdict(ratio.Met));
            Line(w, c.Corpus, "audio seconds per second", Cell(c.Raw.AudioSecondsPerSecond, "0"), Cell(c.Http.AudioSecondsPerSecond, "0"), "", "", "");
            Line(w, c.Corpus, "latency p50 (ms)", Cell(c.Raw.P50Ms, "0.00"), Cell(c.Http.P50Ms, "0.00"),
                Cell(c.AddedP50Ms, "+0.00;-0.00", median: true) + " ms", added.Goal, Verdict(added.Met));
            Line(w, c.Corpus, "latency p99 (ms)", Cell(c.Raw.P99Ms, "0.00"), Cell(c.Http.P99Ms, "0.00"), Inv($"{c.Http.P99Ms.Best - c.Raw.P99Ms.Best:+0.00;-0.00} ms"), "", "");
            Line(w, c.Corpus, "CPU ms/sentence: engine hosts", Inv($"{c.Raw.Cpu.EngineHostsMs:0.00}"), Inv($"{c.Http.Cpu.EngineHostsMs:0.00}"), "", "", "");
            Line(w, c.Corpus, "CPU ms/sentence: silo", "-", Inv($"{c.Http.Cpu.SiloMs:0.00}"), "", "", "");
            Line(w, c.Corpus, "CPU ms/sentence: bench process", Inv($"{c.Raw.Cpu.BenchProcessMs:0.00}"), Inv($"{c.Http.Cpu.BenchProcessMs:0.00}"), "", "", "");
            w.WriteLine(Inv($"{"",-6} best round over best round: throughput ratio {c.ThroughputRatioOfBestRounds:0.000}, added p50 {c.AddedP50MsOfBestRounds:+0.00;-0.00} ms; median per-sentence added latency {c.AddedMsPerSentenceMedian:+0.00;-0.00} ms"));
            w.WriteLine(Inv($"{"",-6} CPU-bound ratio (raw CPU/sentence over HTTP CPU/sentence): service alone {c.CpuRatioService:0.000}, with the HTTP client {c.CpuRatioWithClient:0.000}"));
        }
        w.WriteLine();
        w.WriteLine(Inv($"HTTP requests: {report.HttpRequests} (warm-up included), {report.HttpSharedResponses} answered by an identical request in flight (X-Tts-Cache: hit; the result cache is off)"));
        var mem = report.Memory;
        w.WriteLine(Inv($"Silo RSS at the end: {Mib(mem.SiloRssKiB)} silo + {Mib(mem.EngineHostsRssKiB)} in {mem.EngineHosts} engine hosts = {Mib(mem.TotalRssKiB)}"));
        if (report.Wrk is { } wrk)
        {
            w.WriteLine(Inv($"wrk ({wrk.Connections} connections, {wrk.Seconds} s, {report.Corpora[0].Corpus} corpus): {wrk.RequestsPerSecond:0.0} requests/s, p50 {wrk.P50Ms:0.00} ms, p99 {wrk.P99Ms:0.00} ms, {wrk.Requests} requests, {wrk.Errors} errors"));
            w.WriteLine($"  {wrk.Command}");
        }
        w.WriteLine(report.AllTargetsMet ? "All targets met." : "Targets missed: " + string.Join("; ", report.Targets.Where(t => !t.Met).Select(t => Inv($"{t.Corpus} {t.Figure} = {t.Value:0.000} (goal {t.Goal})"))));
    }

    private static void Line(TextWriter w, params object[] cells) => w.WriteLine(string.Format(CultureInfo.InvariantCulture, Row, cells));

    private static string Cell(Summary s, string format, bool median = false)
    {
        string F(double v) => v.ToString(format, CultureInfo.InvariantCulture);
        return $"{F(median ? s.Median : s.Best)} [{F(s.Min)}–{F(s.Max)}]";
    }

    private static string Verdict(bool met) => met ? "met" : "MISSED";

    private static string Mib(long kib) => Inv($"{kib / 1024.0:0.0} MiB");

    private static string Inv(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}

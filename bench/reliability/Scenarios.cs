using System.Diagnostics;
using System.Globalization;
using Orleans.Tts.Bench;
using Orleans.Tts.Testing;
using SiloProcess = Orleans.Tts.Testing.SiloProcess;

namespace Orleans.Tts.Reliability;

/// <summary>Settings of one run of the reliability scenarios.</summary>
public sealed record ScenarioSettings(ClusterLayout Layout, double? Capacity, int SoakMinutes, int ChaosSeconds, int OverloadSeconds, double SloMs = 2000, double? MixCapacity = null);

/// <summary>
/// Load, overload, soak and fault scenarios (issue 8) on a loopback cluster. Every figure is printed as a
/// markdown line; a target missed is marked MISSED, never hidden. Each scenario starts its own cluster.
/// </summary>
public sealed class Scenarios(ScenarioSettings settings, TextWriter log)
{
    private readonly List<double> _loads = [];
    private double _rawRate;
    private double _capacity;
    private int _missed;

    public int Missed => _missed;

    private static string F(double v, string format = "0.0") => v.ToString(format, CultureInfo.InvariantCulture);

    private void Line(string text) => log.WriteLine(text);

    private void Check(bool met, string what)
    {
        if (!met) _missed++;
        Line($"  - {(met ? "met" : "MISSED")}: {what}");
    }

    private void SampleLoad() => _loads.Add(double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture));

    public string LoadSummary => _loads.Count == 0 ? "n/a" : $"1-min load average {F(_loads.Min())}–{F(_loads.Max())} (median {F(Stats.Percentile(_loads, 50))})";

    /// <summary>The raw engine limit: the in-process eSpeak engine with one host per core, as many callers as cores, no HTTP.</summary>
    public async Task<double> MeasureRawAsync(CancellationToken ct)
    {
        var cores = Environment.ProcessorCount;
        var sentences = Enumerable.Range(0, 240).Select(i => OpenLoad.SentenceFor(1_000_000 + i)).ToList();
        var corpus = new Corpus("load", "espeak:en-us", sentences);
        await using var raw = await EngineTarget.StartAsync(cores, ct);
        await LoadDriver.ThroughputAsync(raw, corpus with { Sentences = sentences.Take(40).ToList() }, cores, 1, ct);
        var run = await LoadDriver.ThroughputAsync(raw, corpus, cores, 1, ct);
        _rawRate = run.SentencesPerSecond;
        SampleLoad();
        Line($"raw engine limit: {F(_rawRate, "0.0")} sentences/s with {cores} engine hosts ({F(_rawRate / cores, "0.0")} per core), {run.Sentences} 1-sentence texts in {F(run.Seconds, "0.0")} s; load {ProcFs.LoadAverages()}");
        return _rawRate;
    }

    private async Task<LoopbackCluster> ClusterAsync() => await LoopbackCluster.StartAsync(settings.Layout, log);

    /// <summary>A fresh cluster and a load driver on its frontend, after <paramref name="warmup"/> of load at <paramref name="rate"/>.</summary>
    private sealed record Rig(LoopbackCluster Cluster, OpenLoad Load) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            Load.Dispose();
            await Cluster.DisposeAsync();
        }
    }

    private async Task<Rig> RigAsync(string title, double rate, Func<long, RequestKind> mix, TimeSpan warmup, CancellationToken ct)
    {
        Line($"## {title}");
        var cluster = await ClusterAsync();
        var load = new OpenLoad(cluster.Frontend.BaseAddress, log);
        await load.RunAsync(rate, warmup, mix, ct);
        return new Rig(cluster, load);
    }

    private static RequestKind AllShort(long _) => RequestKind.Short;

    private sealed record Figures(int Count, int Ok, int Busy, int Errors, double P50, double P99, double MaxBusyMs, double OkPerSecond, string ErrorKinds, string BusyKinds = "")
    {
        public double FailedPercent => Count == 0 ? 0 : 100.0 * (Count - Ok) / Count;
    }

    private static Figures Summarise(IReadOnlyList<Outcome> outcomes, double seconds, RequestKind? latencyOf = RequestKind.Short)
    {
        var ok = outcomes.Where(o => o.Ok).ToList();
        var timed = ok.Where(o => latencyOf is null || o.Kind == latencyOf).Select(o => o.Milliseconds).ToList();
        var busy = outcomes.Where(o => o.Busy).Select(o => o.Milliseconds).ToList();
        var errors = outcomes.Where(o => o.Error).GroupBy(o => o.Result).Select(g => $"{g.Key}×{g.Count()}");
        return new Figures(outcomes.Count, ok.Count, busy.Count, outcomes.Count(o => o.Error),
            timed.Count > 0 ? Stats.Percentile(timed, 50) : double.NaN, timed.Count > 0 ? Stats.Percentile(timed, 99) : double.NaN,
            busy.Count > 0 ? busy.Max() : 0, ok.Count / seconds, string.Join(", ", errors),
            string.Join("; ", outcomes.Where(o => o.Busy).GroupBy(o => BusyReason(o.Detail)).OrderByDescending(g => g.Count()).Take(3).Select(g => $"{g.Count()}× \"{g.Key}\" (e.g. \"{Detail(g.First().Detail)}\")")));
    }

    /// <summary>The 503's problem detail without its numbers, so that the reasons group.</summary>
    private static string BusyReason(string? body) => System.Text.RegularExpressions.Regex.Replace(Detail(body), "[0-9.]+", "N");

    /// <summary>The problem detail of a 503's body.</summary>
    private static string Detail(string? body)
    {
        try
        {
            return System.Text.Json.JsonDocument.Parse(body ?? "{}").RootElement.GetProperty("detail").GetString() ?? "";
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or KeyNotFoundException or InvalidOperationException)
        {
            return "(no problem body)";
        }
    }

    private string Describe(Figures f) =>
        $"{f.Count} requests: {f.Ok} audio, {f.Busy} 503{(f.Busy > 0 ? $" ({f.BusyKinds})" : "")}, {f.Errors} errors{(f.Errors > 0 ? $" ({f.ErrorKinds})" : "")}; p50 {F(f.P50, "0")} ms, p99 {F(f.P99, "0")} ms; {F(f.OkPerSecond)} audio/s";

    /// <summary>Failed requests (not audio) by the window their start fell in (5 s grace after each window), and outside all of them.</summary>
    private static string Placed(IReadOnlyList<Outcome> outcomes, params (string Name, List<(double From, double To)> Windows)[] windows)
    {
        var failed = outcomes.Where(o => !o.Ok).ToList();
        var parts = new List<string>();
        var placed = new HashSet<Outcome>();
        foreach (var (name, list) in windows)
        {
            var inside = failed.Where(o => list.Any(w => o.StartedAt >= w.From && o.StartedAt < w.To + 5)).ToList();
            placed.UnionWith(inside);
            var seconds = list.Sum(w => w.To - w.From + 5);
            parts.Add($"{inside.Count} failed {name} (+5 s; {F(seconds, "0")} s in all)");
        }
        parts.Add($"{failed.Count(o => !placed.Contains(o))} outside those windows");
        // When they happened: failed requests per 5 s of the run (by start), where any failed.
        var timeline = failed.GroupBy(o => (int)(o.StartedAt / 5) * 5).OrderBy(g => g.Key).Select(g => $"{g.Key}s:{g.Count()}");
        if (failed.Count > 0) parts.Add($"failures by start time [{string.Join(" ", timeline)}]");
        return string.Join(", ", parts);
    }

    private static async Task<string> FrontendRetriesAsync(LoopbackCluster cluster)
    {
        try { return (await LoopbackCluster.ReadyDetailsAsync(cluster.Frontend)).GetValueOrDefault("frontend.retries", "?"); }
        catch (HttpRequestException) { return "?"; }
    }

    /// <summary>Open-loop steps of 1-sentence requests at rising fractions of the raw limit; capacity is the highest step whose p99 stays under the SLO with ≤ 1 % refused.</summary>
    public async Task<double> CapacityAsync(CancellationToken ct)
    {
        Line("## capacity");
        await using var cluster = await ClusterAsync();
        using var load = new OpenLoad(cluster.Frontend.BaseAddress, log);
        await load.RunAsync(Math.Max(1, _rawRate * 0.05), TimeSpan.FromSeconds(8), AllShort, ct);
        double best = 0, bestP99 = 0, first = 0;
        // From 5 % of the raw limit up by 30 % a step until a step misses.
        for (var fraction = 0.05; fraction < 1.3; fraction *= 1.3)
        {
            var rate = _rawRate * fraction;
            var f = Summarise(await load.RunAsync(rate, TimeSpan.FromSeconds(12), AllShort, ct), 12);
            SampleLoad();
            var pass = f.Errors == 0 && f.P99 < settings.SloMs && f.Busy <= f.Count / 100;
            Line($"  step {F(fraction, "0.00")}× raw = {F(rate)} req/s offered: {Describe(f)} → {(pass ? "within SLO" : "over")}");
            if (first == 0) first = f.OkPerSecond;
            if (!pass) break;
            best = f.OkPerSecond;
            bestP99 = f.P99;
        }
        var cores = Environment.ProcessorCount;
        Line($"capacity: {F(best)} req/s of 1-sentence requests with p99 {F(bestP99, "0")} ms < {F(settings.SloMs, "0")} ms = {F(best / cores, "0.00")} req/s per core; " +
             $"{F(best / _rawRate, "0.00")}× the raw engine limit ({F(_rawRate)} sentences/s) measured in the same run");
        Check(best > 0, "a rate exists at which p99 < 2 s");
        if (best == 0) Line($"  (the other scenarios use the lowest step's served rate, {F(first)} req/s)");
        _capacity = best > 0 ? best : first;
        return _capacity;
    }

    private double Capacity => settings.Capacity ?? (_capacity > 0 ? _capacity : throw new InvalidOperationException("Run capacity first or pass --capacity."));

    /// <summary>5× capacity for the overload duration, then half capacity: audio or 503 + Retry-After only, admitted p99 within the SLO, bounded memory, normal service right after.</summary>
    public async Task OverloadAsync(CancellationToken ct)
    {
        Line("## overload");
        await using var cluster = await ClusterAsync();
        using var load = new OpenLoad(cluster.Frontend.BaseAddress, log);
        await OverloadAsync(cluster, "503", (rate, duration, everySecond) => load.RunAsync(rate, duration, AllShort, ct, everySecond));
    }

    /// <summary>The overload through the embedded Orleans client: a typed busy answer with its retry time, never a timeout.</summary>
    public async Task ClientOverloadAsync(CancellationToken ct)
    {
        Line("## overload through the Orleans client");
        await using var cluster = await ClusterAsync();
        await using var load = await ClientLoad.ConnectAsync(cluster);
        await OverloadAsync(cluster, "busy", (rate, duration, everySecond) => load.RunAsync(rate, duration, ct, everySecond));
    }

    private async Task OverloadAsync(LoopbackCluster cluster, string busy, Func<double, TimeSpan, Action<double>?, Task<List<Outcome>>> run)
    {
        await run(Math.Max(2, Capacity * 0.5), TimeSpan.FromSeconds(8), null);
        var before = cluster.MemoryMiB();
        var peak = before;
        var seconds = settings.OverloadSeconds;
        var outcomes = await run(Capacity * 5, TimeSpan.FromSeconds(seconds), _ =>
        {
            var m = cluster.MemoryMiB();
            if (m.LargestSilo > peak.LargestSilo) peak = peak with { LargestSilo = m.LargestSilo };
            if (m.Frontend > peak.Frontend) peak = peak with { Frontend = m.Frontend };
        });
        SampleLoad();
        var f = Summarise(outcomes, seconds);
        var after = await run(Capacity * 0.5, TimeSpan.FromSeconds(15), null);
        var a = Summarise(after, 15);
        var end = cluster.MemoryMiB();
        Line($"overload {F(Capacity * 5)} req/s (5× {F(Capacity)}) for {seconds} s: {Describe(f)}; slowest {busy} {F(f.MaxBusyMs, "0")} ms");
        Line($"  largest silo RSS (with engine hosts) {F(before.LargestSilo, "0")} MiB before, {F(peak.LargestSilo, "0")} MiB peak, {F(end.LargestSilo, "0")} MiB after; frontend {F(before.Frontend, "0")} → {F(peak.Frontend, "0")} → {F(end.Frontend, "0")} MiB");
        var server = outcomes.Where(o => o is { Ok: true, Kind: RequestKind.Short, ServerMs: not null }).Select(o => o.ServerMs!.Value).ToList();
        if (server.Count > 0)
            Line($"  admitted, the frontend's own time (X-Tts-Synthesis-Ms): p50 {F(Stats.Percentile(server, 50), "0")} ms, p99 {F(Stats.Percentile(server, 99), "0")} ms; the rest of the client's time is outside the handler");
        var timed = outcomes.Where(o => o is { Ok: true, Kind: RequestKind.Short, Timing: not null }).ToList();
        if (timed.Count > 0)
        {
            // Where an admitted request's time went (the frontend's Server-Timing header), for all of them and for the slowest 1 %.
            var slow = timed.OrderByDescending(o => o.Milliseconds).Take(Math.Max(1, timed.Count / 100)).ToList();
            string Parts(IReadOnlyList<Outcome> list, Func<List<double>, double> of) => string.Join(", ",
                new[] { "request", "cache", "queue", "synth", "release", "store", "total" }.Select(name =>
                    $"{name} {F(of(list.Select(o => o.Timing!.GetValueOrDefault(name)).ToList()), "0")}"));
            Line($"  admitted, Server-Timing p50 (ms): {Parts(timed, l => Stats.Percentile(l, 50))}");
            Line($"  admitted, Server-Timing p99 (ms): {Parts(timed, l => Stats.Percentile(l, 99))}");
            Line($"  the slowest 1 % ({slow.Count}, client {F(slow.Min(o => o.Milliseconds), "0")}–{F(slow.Max(o => o.Milliseconds), "0")} ms), Server-Timing mean (ms): {Parts(slow, l => l.Average())}");
        }
        Line($"  right after, {F(Capacity * 0.5)} req/s for 15 s: {Describe(a)}");
        Check(f.Errors == 0, busy == "503" ? "every response is audio or 503 with Retry-After" : "every answer is audio or the typed busy exception with a retry time (no timeout, no other error)");
        Check(f.MaxBusyMs <= 2000 + 1000, $"no {busy} later than the admission deadline (2 s) + 1 s");
        Check(f.P99 < settings.SloMs, $"admitted p99 {F(f.P99, "0")} ms < {F(settings.SloMs, "0")} ms");
        Check(peak.LargestSilo < before.LargestSilo * 1.5 + 64 && peak.Frontend < before.Frontend * 1.5 + 64, "silo and frontend memory bounded (peak < 1.5× before + 64 MiB)");
        Check(a.Ok == a.Count && a.P99 < settings.SloMs, "normal service right after (every request audio, p99 within the SLO)");
    }

    /// <summary>
    /// A mix of short, long, streamed, cached and job requests for the soak duration at 70 % of the mix's own capacity: the highest
    /// rate of a ramp of the same mix with no 503, no error and 1-sentence p99 within the SLO. (A request of the mix costs more
    /// than its sentences: long texts are mp3, streams are framed, jobs are stored and polled; 70 % of the 1-sentence capacity in
    /// sentence units kept the machine saturated, load average 18 on 2 cores.)
    /// </summary>
    public async Task SoakAsync(CancellationToken ct)
    {
        Line("## soak");
        await using var cluster = await ClusterAsync();
        using var load = new OpenLoad(cluster.Frontend.BaseAddress, log);
        // Per 20 requests: 12 short (1 sentence), 3 long (8), 2 streamed (3), 2 cached (0 after the first), 1 job (4) = 46 sentences.
        static RequestKind Mix(long i) => (i % 20) switch
        {
            < 12 => RequestKind.Short,
            < 15 => RequestKind.Long,
            < 17 => RequestKind.Streamed,
            < 19 => RequestKind.Cached,
            _ => RequestKind.Job,
        };
        const double sentencesPerRequest = 46 / 20.0;
        var sentenceRate = Capacity / sentencesPerRequest;
        await load.RunAsync(sentenceRate * 0.3, TimeSpan.FromSeconds(20), Mix, ct);
        var mixCapacity = settings.MixCapacity ?? 0;
        if (settings.MixCapacity is null)
        {
            // From 30 % of the 1-sentence capacity (in sentence units) up by 15 % a step until a step refuses or errs.
            for (var fraction = 0.3; fraction < 1.5; fraction *= 1.15)
            {
                var rate = sentenceRate * fraction;
                var step = Summarise(await load.RunAsync(rate, TimeSpan.FromSeconds(15), Mix, ct), 15);
                SampleLoad();
                var pass = step.Errors == 0 && step.Busy == 0 && step.P99 < settings.SloMs;
                Line($"  mix step {F(rate, "0.00")} req/s ({F(fraction, "0.00")}× the 1-sentence capacity in sentences): {Describe(step)} → {(pass ? "served" : "over")}");
                if (!pass) break;
                mixCapacity = rate;
            }
            if (mixCapacity == 0) mixCapacity = sentenceRate * 0.3;
        }
        Line($"mix capacity: {F(mixCapacity, "0.00")} req/s = {F(mixCapacity * sentencesPerRequest)} sentences/s ({F(mixCapacity * sentencesPerRequest / Capacity, "0.00")}× the 1-sentence capacity of {F(Capacity)}){(settings.MixCapacity is null ? "" : " (--mix-capacity)")}");
        var soakRate = mixCapacity * 0.7;
        var samples = new List<(double Minute, double Silos, double Frontend, double EngineHosts)>();
        var heap = new List<(double Minute, double Silos, double Frontend)>();
        var clock = Stopwatch.StartNew();
        var minutes = settings.SoakMinutes;
        // Per minute: the load average and the CPU (busy, stolen by the hypervisor) over that minute, to tell refusals caused by
        // the service from refusals caused by a machine that slowed down under the soak.
        var machine = new List<(int Minute, double Load, double BusyPercent, double StealPercent)>();
        var lastCpu = CpuTimes.Read();
        var outcomes = await load.RunAsync(soakRate, TimeSpan.FromMinutes(minutes), Mix, ct, s =>
        {
            if ((int)s % 60 == 0)
            {
                var cpu = CpuTimes.Read();
                machine.Add(((int)s / 60, double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture),
                    cpu.BusyPercentSince(lastCpu), cpu.StealPercentSince(lastCpu)));
                lastCpu = cpu;
            }
            if ((int)s % 15 != 0) return;
            var m = cluster.MemoryMiB();
            samples.Add((s / 60, m.Silos, m.Frontend, cluster.SiloMemoryMiB().EngineHosts));
            // What survives full collections, per .NET process (a silo that has not had one yet leaves the sample out).
            var silos = cluster.Silos.Where(p => p is not null).Select(p => p!).ToList();
            _ = Task.Run(async () =>
            {
                try
                {
                    var front = await LoopbackCluster.MetricAsync(cluster.Frontend, "dotnet_gc_live_after_full_gc_bytes");
                    var each = await Task.WhenAll(silos.Select(p => LoopbackCluster.MetricAsync(p, "dotnet_gc_live_after_full_gc_bytes")));
                    if (front > 0 && each.All(v => v > 0)) lock (heap) heap.Add((s / 60, each.Sum() / (1024.0 * 1024.0), front / (1024.0 * 1024.0)));
                }
                catch (HttpRequestException) { }
            }, CancellationToken.None);
            if ((int)s % 60 == 0) SampleLoad();
        });
        var f = Summarise(outcomes, minutes * 60.0);
        // A leak is what stays: results are shared just after their responses, so their claims may still be there for a moment.
        try
        {
            await Poll.UntilAsync(async () => await cluster.PermitsInUseAsync() == 0, TimeSpan.FromSeconds(15), "permits back");
        }
        catch (TimeoutException) { } // reported below as a leak
        var permits = await cluster.PermitsInUseAsync();
        var running = (await Task.WhenAll(cluster.Silos.Where(s => s is not null).Select(s => LoopbackCluster.ReadyDetailsAsync(s!)))).Count(d => d["http"] != "200");
        // Memory trend: least-squares slope over the second half (the first half includes warm-up and cache fill).
        static double Slope(IReadOnlyList<(double Minute, double Value)> points)
        {
            var tail = points.Skip(points.Count / 2).ToList();
            if (tail.Count < 3) return double.NaN;
            var mx = tail.Average(t => t.Minute);
            var my = tail.Average(t => t.Value);
            var sxx = tail.Sum(t => (t.Minute - mx) * (t.Minute - mx));
            return sxx == 0 ? double.NaN : tail.Sum(t => (t.Minute - mx) * (t.Value - my)) / sxx;
        }
        var siloSlope = Slope(samples.Select(t => (t.Minute, t.Silos)).ToList());
        var frontSlope = Slope(samples.Select(t => (t.Minute, t.Frontend)).ToList());
        var hostSlope = Slope(samples.Select(t => (t.Minute, t.EngineHosts)).ToList());
        List<(double Minute, double Silos, double Frontend)> heapPoints;
        lock (heap) heapPoints = heap.OrderBy(h => h.Minute).ToList();
        // RSS follows the GC's sawtooth and the caches filling to their bounds; a managed leak shows in what survives full
        // collections, a native one (eSpeak, ONNX Runtime) in the engine hosts' RSS.
        var siloHeapSlope = Slope(heapPoints.Select(h => (h.Minute, h.Silos)).ToList());
        var frontHeapSlope = Slope(heapPoints.Select(h => (h.Minute, h.Frontend)).ToList());
        var byKind = string.Join(", ", outcomes.GroupBy(o => o.Kind).Select(g => $"{g.Key} {g.Count(o => o.Ok)}/{g.Count()}"));
        string Range<T>(IReadOnlyList<T> points, Func<T, double> y, string format) =>
            points.Count == 0 ? "n/a" : $"{F(y(points[0]), format)} → {F(y(points[^1]), format)} MiB (max {F(points.Max(y), format)})";
        Line($"soak {minutes} min at {F(soakRate, "0.00")} req/s (70 % of the mix capacity, {F(soakRate * sentencesPerRequest)} sentences/s; mix 12 short : 3 long : 2 streamed : 2 cached : 1 job): {Describe(f)}");
        Line($"  audio by kind: {byKind}; jobs {(load.JobsAvailable ? $"submitted {load.Jobs.Submitted}, succeeded {load.Jobs.Succeeded}, failed {load.Jobs.Failed}, unfinished {load.Jobs.Lost}" : "not available on this build")}");
        Line($"  RSS of all silos with their engine hosts {Range(samples, t => t.Silos, "0")}, second-half slope {F(siloSlope, "0.00")} MiB/min; of the engine hosts alone {Range(samples, t => t.EngineHosts, "0")}, slope {F(hostSlope, "0.00")} MiB/min; frontend {Range(samples, t => t.Frontend, "0")}, slope {F(frontSlope, "0.00")} MiB/min");
        Line($"  heap after full collections (dotnet_gc_live_after_full_gc_bytes), {heapPoints.Count} samples: silos {Range(heapPoints, h => h.Silos, "0.0")}, second-half slope {F(siloHeapSlope, "0.00")} MiB/min; frontend {Range(heapPoints, h => h.Frontend, "0.0")}, slope {F(frontHeapSlope, "0.00")} MiB/min");
        Line($"  after the load: {permits} admission permits held, {running} silos not ready");
        // Each error with what the client saw, and what the frontend logged last (warnings and above), to find its cause.
        foreach (var e in outcomes.Where(o => o.Error).Take(5))
            Line($"  error at {F(e.StartedAt, "0.0")} s ({e.Kind}, after {F(e.Milliseconds, "0")} ms): {e.Result}: {e.Detail}");
        if (f.Errors > 0)
            foreach (var logged in cluster.Frontend.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(12))
                Line($"    frontend: {(logged.Length > 300 ? logged[..300] : logged)}");
        for (var minute = 0; minute < minutes; minute++)
        {
            var these = outcomes.Where(o => o.StartedAt >= minute * 60 && o.StartedAt < minute * 60 + 60).ToList();
            var m = Summarise(these, 60);
            var cpu = machine.FirstOrDefault(x => x.Minute == minute + 1);
            var heapThen = heapPoints.LastOrDefault(h => h.Minute < minute + 1);
            Line($"  minute {minute + 1}: {m.Count} requests, {m.Busy} 503, {m.Errors} errors, short p99 {F(m.P99, "0")} ms; " +
                 (cpu.Minute == 0 ? "machine n/a" : $"load {F(cpu.Load)}, CPU busy {F(cpu.BusyPercent, "0")} %, stolen {F(cpu.StealPercent, "0")} %") +
                 $"; frontend heap {F(heapThen.Frontend, "0.0")} MiB");
        }
        Check(f.Errors == 0 && f.Busy == 0, "no error (and no 503) in the soak");
        Check(heapPoints.Count >= 6 && siloHeapSlope < 2 && frontHeapSlope < 1, "no managed memory growth trend (second-half slope of the heap after full collections < 2 MiB/min for the silos, < 1 for the frontend)");
        Check(hostSlope < 1, "no native memory growth trend (engine hosts' second-half RSS slope < 1 MiB/min)");
        var (siloStart, frontStart) = (samples.FirstOrDefault().Silos, samples.FirstOrDefault().Frontend);
        Check(samples.Count > 0 && samples.Max(t => t.Silos) < siloStart * 1.5 + 64 && samples.Max(t => t.Frontend) < frontStart * 1.5 + 64,
            $"RSS bounded (max < 1.5× the start + 64 MiB: silos {F(siloStart, "0")} MiB, frontend {F(frontStart, "0")} MiB at the start)");
        Check(permits == 0, "no leaked permits");
        if (load.JobsAvailable) Check(load.Jobs.Lost == 0 && load.Jobs.Failed == 0, "every job succeeded exactly once");
    }

    /// <summary>kill -9 of a random silo every 20 s under load (restarted at once under a new id), jobs in the mix.</summary>
    public async Task ChaosAsync(CancellationToken ct)
    {
        Line("## chaos: kill -9");
        await using var cluster = await ClusterAsync();
        using var load = new OpenLoad(cluster.Frontend.BaseAddress, log);
        static RequestKind Mix(long i) => i % 20 == 19 ? RequestKind.Job : RequestKind.Short;
        var rate = Capacity * 0.5;
        await load.RunAsync(rate, TimeSpan.FromSeconds(8), Mix, ct);
        var restored = new List<double>();
        var replacing = new List<(double From, double To)>();
        var undeclared = new List<(double From, double To)>();
        var kills = new List<Task>();
        var random = new Random(8);
        var nextKill = 20.0;
        var outcomes = await load.RunAsync(rate, TimeSpan.FromSeconds(settings.ChaosSeconds), Mix, ct, s =>
        {
            if (s < nextKill || s > settings.ChaosSeconds - 15) return;
            nextKill += 20;
            var slot = random.Next(settings.Layout.Silos);
            if (cluster.Silos[slot] is null) return;
            var victim = cluster.Kill(slot);
            var clock = Stopwatch.StartNew();
            var killedAt = s;
            Line($"  t={F(s, "0")} s: kill -9 {victim.Id}");
            kills.Add(Task.Run(async () =>
            {
                await cluster.StartSiloAsync(slot);
                var id = cluster.Silos[slot]!.Id;
                await Poll.UntilAsync(async () => (await cluster.FrontendSilosAsync()).Contains(id), TimeSpan.FromSeconds(60), $"{id} routable", TimeSpan.FromMilliseconds(100));
                lock (restored) restored.Add(clock.Elapsed.TotalSeconds);
                lock (replacing) replacing.Add((killedAt, killedAt + clock.Elapsed.TotalSeconds));
                // The dead one leaves the frontend's list once swept (TTS_DEAD_SILO_SECONDS).
                await Poll.UntilAsync(async () => !(await cluster.FrontendSilosAsync()).Contains(victim.Id), TimeSpan.FromSeconds(60), $"{victim.Id} swept", TimeSpan.FromMilliseconds(100));
                lock (replacing) undeclared.Add((killedAt, killedAt + clock.Elapsed.TotalSeconds));
                Line($"    {victim.Id} replaced by {id} after {F(restored[^1])} s; swept after {F(clock.Elapsed.TotalSeconds)} s");
            }, ct));
        });
        await Task.WhenAll(kills);
        SampleLoad();
        var f = Summarise(outcomes, settings.ChaosSeconds);
        Line($"chaos {settings.ChaosSeconds} s at {F(rate)} req/s (50 % capacity), {kills.Count} kills of {settings.Layout.Silos} silos: {Describe(f)}; client-visible failures {F(f.FailedPercent, "0.000")} %");
        Line($"  {Placed(outcomes, ("from a kill until the dead silo was swept", undeclared), ("from a kill until its replacement was routable", replacing))}; frontend retries {await FrontendRetriesAsync(cluster)}");
        if (load.JobsAvailable) Line($"  jobs: submitted {load.Jobs.Submitted}, succeeded {load.Jobs.Succeeded}, failed {load.Jobs.Failed}, unfinished {load.Jobs.Lost}");
        else Line("  jobs: not available on this build");
        Check(f.FailedPercent <= 0.1, "client-visible failures ≤ 0.1 %");
        Check(restored.Count > 0 && restored.Max() <= settings.Layout.DeadSiloSeconds, $"capacity restored (replacement routable) within the dead-silo timeout ({settings.Layout.DeadSiloSeconds} s): worst {F(restored.DefaultIfEmpty().Max())} s");
        if (load.JobsAvailable) Check(load.Jobs.Lost == 0 && load.Jobs.Failed == 0, "no lost or failed job (a duplicated id would be an error)");
    }

    /// <summary>Each silo in turn replaced as the Helm chart rolls (new one ready, then SIGTERM and drain of the old), under load: zero failed requests.</summary>
    public async Task RollingAsync(CancellationToken ct)
    {
        var rate = Capacity * 0.5;
        await using var rig = await RigAsync("rolling restart", rate, AllShort, TimeSpan.FromSeconds(8), ct);
        var (cluster, load) = (rig.Cluster, rig.Load);
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var running = load.RunAsync(rate, TimeSpan.FromMinutes(10), AllShort, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(5), ct);
        // When each replacement was starting and each old silo draining (seconds of the load's clock), to place the failures.
        var starting = new List<(double From, double To)>();
        var draining = new List<(double From, double To)>();
        for (var slot = 0; slot < settings.Layout.Silos; slot++)
        {
            var from = clock.Elapsed.TotalSeconds;
            var step = await cluster.ReplaceAsync(slot, TimeSpan.FromSeconds(60));
            starting.Add((from, from + step.StartSeconds));
            draining.Add((from + step.StartSeconds, from + step.StartSeconds + step.DrainSeconds));
            Line($"  {step.New} routable after {F(step.StartSeconds)} s; then {step.Old}: SIGTERM → exit {step.ExitCode} after a {F(step.DrainSeconds)} s drain");
        }
        await Task.Delay(TimeSpan.FromSeconds(5), ct);
        await stop.CancelAsync();
        var outcomes = await running;
        SampleLoad();
        var f = Summarise(outcomes, clock.Elapsed.TotalSeconds);
        Line($"rolling restart of {settings.Layout.Silos} silos at {F(rate)} req/s in {F(clock.Elapsed.TotalSeconds, "0")} s: {Describe(f)}");
        Line($"  {Placed(outcomes, ("while a replacement started", starting), ("while an old silo drained", draining))}; frontend retries {await FrontendRetriesAsync(cluster)}");
        Check(f.Ok == f.Count, "zero failed requests (no error, no 503)");
    }

    /// <summary>
    /// Scale out by two silos and back under load, as <c>helm upgrade --set replicaCount</c> does (new pods start and join;
    /// removed pods get SIGTERM and drain): zero failed requests.
    /// </summary>
    public async Task ScaleAsync(CancellationToken ct)
    {
        var rate = Capacity * 0.5;
        await using var rig = await RigAsync($"scale {settings.Layout.Silos} → {settings.Layout.Silos + 2} → {settings.Layout.Silos}", rate, AllShort, TimeSpan.FromSeconds(8), ct);
        var (cluster, load) = (rig.Cluster, rig.Load);
        using var stop = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var running = load.RunAsync(rate, TimeSpan.FromMinutes(10), AllShort, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(5), ct);
        var growing = (From: clock.Elapsed.TotalSeconds, To: 0.0);
        await Task.WhenAll(cluster.AddSiloAsync(), cluster.AddSiloAsync());
        var seen = await cluster.WaitFrontendSeesAsync(settings.Layout.Silos + 2, TimeSpan.FromSeconds(60));
        growing.To = clock.Elapsed.TotalSeconds;
        Line($"  t={F(growing.From, "0")} s: 2 silos added; the frontend routes to {settings.Layout.Silos + 2} after {F(growing.To - growing.From)} s ({F(seen.TotalSeconds)} s after both were ready)");
        await Task.Delay(TimeSpan.FromSeconds(15), ct);
        var shrinking = (From: clock.Elapsed.TotalSeconds, To: 0.0);
        var removed = await Task.WhenAll(cluster.RemoveAddedAsync(TimeSpan.FromSeconds(60)), cluster.RemoveAddedAsync(TimeSpan.FromSeconds(60)));
        await cluster.WaitFrontendSeesAsync(settings.Layout.Silos, TimeSpan.FromSeconds(60));
        shrinking.To = clock.Elapsed.TotalSeconds;
        Line($"  t={F(shrinking.From, "0")} s: SIGTERM to {string.Join(", ", removed.Select(r => $"{r.Id} (exit {r.ExitCode})"))}; back to {settings.Layout.Silos} after {F(shrinking.To - shrinking.From)} s");
        await Task.Delay(TimeSpan.FromSeconds(5), ct);
        await stop.CancelAsync();
        var outcomes = await running;
        SampleLoad();
        var f = Summarise(outcomes, clock.Elapsed.TotalSeconds);
        Line($"scale out and in at {F(rate)} req/s in {F(clock.Elapsed.TotalSeconds, "0")} s: {Describe(f)}");
        Line($"  {Placed(outcomes, ("while scaling out", [growing]), ("while scaling in", [shrinking]))}; frontend retries {await FrontendRetriesAsync(cluster)}");
        Check(f.Ok == f.Count, "zero failed requests (no error, no 503)");
        Check(removed.All(r => r.ExitCode == 0), "every removed silo drained and exited 0");
    }

    /// <summary>
    /// Redis (membership, grain state, cache, jobs) stopped for 30 s under load: interactive requests go on (local admission and
    /// caches, degraded in /ready), every process reconnects by itself, and a speaker stored before is still there after.
    /// </summary>
    public async Task RedisStopAsync(CancellationToken ct)
    {
        var rate = Capacity * 0.5;
        await using var rig = await RigAsync("Redis stopped", rate, AllShort, TimeSpan.FromSeconds(8), ct);
        var (cluster, load) = (rig.Cluster, rig.Load);
        var speaker = await cluster.Frontend.HttpClient.PostAsync("/v1/speakers", new StringContent(
            """{"id":"outage-survivor","voice":"espeak:en-gb","speed":1.1}""", System.Text.Encoding.UTF8, "application/json"), ct);
        Check(speaker.IsSuccessStatusCode, "a speaker is stored before the outage");
        double stoppedAt = 15, startedAt = 45, recoveredAt = double.NaN, degradedSeen = double.NaN;
        var probes = new List<Task>();
        var outcomes = await load.RunAsync(rate, TimeSpan.FromSeconds(75), AllShort, ct, s =>
        {
            if ((int)s == (int)stoppedAt) probes.Add(Task.Run(() => { cluster.StopRedis(); Line($"  t={F(s, "0")} s: Redis stopped"); }, ct));
            if ((int)s == (int)startedAt) probes.Add(Task.Run(() => { cluster.StartRedis(); Line($"  t={F(s, "0")} s: Redis started (AOF replayed)"); }, ct));
            if (s > stoppedAt + 2 && double.IsNaN(degradedSeen) || s > startedAt && double.IsNaN(recoveredAt))
                probes.Add(Task.Run(async () =>
                {
                    var views = await Task.WhenAll(cluster.Silos.Where(x => x is not null).Select(x => LoopbackCluster.ReadyDetailsAsync(x!)).Append(LoopbackCluster.ReadyDetailsAsync(cluster.Frontend)));
                    var degraded = views.Count(v => v.Keys.Any(k => k.EndsWith("degraded", StringComparison.Ordinal)));
                    if (degraded > 0 && double.IsNaN(degradedSeen)) { degradedSeen = s; Line($"  t={F(s, "0")} s: /ready reports degraded on {degraded} of {views.Length} processes (status {string.Join(",", views.Select(v => v["http"]))})"); }
                    if (s > startedAt && degraded == 0 && double.IsNaN(recoveredAt)) { recoveredAt = s; Line($"  t={F(s, "0")} s: every process reports Redis available again"); }
                }, ct));
        });
        await Task.WhenAll(probes);
        SampleLoad();
        var during = Summarise(outcomes.Where(o => o.StartedAt >= stoppedAt && o.StartedAt < startedAt).ToList(), startedAt - stoppedAt);
        var afterFrom = double.IsNaN(recoveredAt) ? startedAt : recoveredAt;
        var after = Summarise(outcomes.Where(o => o.StartedAt >= afterFrom).ToList(), 75 - afterFrom);
        var all = Summarise(outcomes, 75);
        Line($"Redis stopped 30 s at {F(rate)} req/s: overall {Describe(all)}");
        Line($"  during the outage: {Describe(during)}");
        Line($"  recovered (no /ready detail saying degraded) {F(afterFrom - startedAt)} s after Redis returned; after that: {Describe(after)}");
        var kept = await cluster.Frontend.HttpClient.GetAsync("/v1/speakers/outage-survivor", ct);
        Check(during.Ok > during.Count * 0.99 && during.Errors == 0, "service continues during the outage (≥ 99 % audio, no error)");
        Check(!double.IsNaN(recoveredAt), "recovers by itself");
        Check(after.Ok == after.Count, "every request after recovery is audio");
        Check(kept.IsSuccessStatusCode, "the speaker stored before the outage is still there");
    }

    /// <summary>kill -9 of one of a silo's eSpeak engine hosts every 4 s under load: every request still gets audio, the silo stays ready.</summary>
    public async Task WorkerKillAsync(CancellationToken ct)
    {
        var rate = Capacity * 0.5;
        await using var rig = await RigAsync("eSpeak worker killed", rate, AllShort, TimeSpan.FromSeconds(8), ct);
        var (cluster, load) = (rig.Cluster, rig.Load);
        var silo = cluster.Silos[0]!;
        var kills = 0;
        var outcomes = await load.RunAsync(rate, TimeSpan.FromSeconds(40), AllShort, ct, s =>
        {
            if ((int)s % 4 != 0 || s > 36) return;
            var hosts = ProcFs.Descendants(silo.ProcessId).Where(IsEngineHost).ToList();
            if (hosts.Count == 0) return;
            try { Process.GetProcessById(hosts[Random.Shared.Next(hosts.Count)]).Kill(); kills++; }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException) { }
        });
        SampleLoad();
        var f = Summarise(outcomes, 40);
        var ready = await LoopbackCluster.ReadyDetailsAsync(silo);
        Line($"eSpeak engine host of {silo.Id} killed {kills} times in 40 s at {F(rate)} req/s: {Describe(f)}; /ready {ready["http"]}, espeak details: {string.Join(", ", ready.Where(d => d.Key.StartsWith("espeak", StringComparison.Ordinal)).Select(d => $"{d.Key}={d.Value}"))}");
        Check(f.Ok == f.Count, "every request got audio (the interrupted sentences were retried)");
        Check(ready["http"] == "200", "the silo stays ready");
    }

    private static bool IsEngineHost(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/cmdline").Contains("Orleans.Tts.EngineHost", StringComparison.Ordinal); }
        catch (IOException) { return false; }
    }
}

/// <summary>The machine's CPU counters from /proc/stat (clock ticks over all cores).</summary>
internal readonly record struct CpuTimes(long Total, long Idle, long Steal)
{
    public static CpuTimes Read()
    {
        // cpu  user nice system idle iowait irq softirq steal guest guest_nice (guest time is already in user/nice)
        var fields = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(long.Parse).ToArray();
        return new CpuTimes(fields.Take(8).Sum(), fields[3] + fields[4], fields[7]);
    }

    public double BusyPercentSince(CpuTimes earlier) => Percent(Total - earlier.Total - (Idle - earlier.Idle) - (Steal - earlier.Steal), Total - earlier.Total);

    public double StealPercentSince(CpuTimes earlier) => Percent(Steal - earlier.Steal, Total - earlier.Total);

    private static double Percent(long part, long whole) => whole <= 0 ? double.NaN : 100.0 * part / whole;
}

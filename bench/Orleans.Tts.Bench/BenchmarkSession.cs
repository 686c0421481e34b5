using System.Runtime.InteropServices;

namespace Orleans.Tts.Bench;

/// <summary>
/// One benchmark run: the raw engine in this process and a silo over HTTP, measured in alternating
/// rounds (so a burst of load from elsewhere hits both sides alike), then memory and optionally wrk.
/// </summary>
public sealed class BenchmarkSession(BenchOptions options, TextWriter log)
{
    private readonly List<double> _loadSamples = [];

    private sealed record Side(ISpeechTarget Target, CpuMeter Cpu, int Concurrency, Dictionary<string, ModeRecorder> Recorders);

    public async Task<BenchReport> RunAsync(CancellationToken ct)
    {
        var corpora = Corpus.LoadDefault();
        var cores = options.Cores;
        var loadAtStart = ProcFs.LoadAverages();
        SampleLoad();
        log.WriteLine($"Machine: {Environment.ProcessorCount} cores ({ProcFs.CpuModel()}), load average {loadAtStart}");
        log.WriteLine($"Corpora: {string.Join(", ", corpora.Select(c => $"{c.Name} {c.Sentences.Count} sentences ({c.VoiceId})"))}");
        log.WriteLine($"Throughput runs: each corpus repeated to at least {options.MinThroughputSentences} sentences; {options.Rounds} rounds after {options.WarmupPasses} warm-up passes");
        log.WriteLine($"Raw: {cores} engine hosts, concurrency {cores}; HTTP: silo with {cores} workers, concurrency {2 * cores}; latency at concurrency 1");

        var siloPath = options.SiloPath ?? DefaultSiloPath();
        await using var silo = SiloProcess.Start(siloPath, cores);
        using var http = new HttpTarget(silo.BaseAddress, 2 * cores);
        await using var raw = await EngineTarget.StartAsync(cores, ct);
        await silo.WaitReadyAsync(http, options.ReadyTimeout, ct);
        log.WriteLine($"Silo {silo.ProcessId} ready at {silo.BaseAddress} ({siloPath})");

        try
        {
            return await MeasureAsync(corpora, silo, http, raw, loadAtStart, ct);
        }
        catch (HttpRequestException e) when (silo.HasExited)
        {
            throw new InvalidOperationException(
                $"The silo exited during the run (exit code {silo.ExitCode}); was it killed from outside? Its last output:\n{silo.Output()}", e);
        }
    }

    private async Task<BenchReport> MeasureAsync(IReadOnlyList<Corpus> corpora, SiloProcess silo, HttpTarget http, EngineTarget raw, string loadAtStart, CancellationToken ct)
    {
        var cores = options.Cores;
        var rawSide = new Side(raw, new CpuMeter(() => raw.HostProcessIds, null), cores, Recorders(corpora, cores));
        var httpSide = new Side(http, new CpuMeter(() => ProcFs.Descendants(silo.ProcessId), silo.ProcessId), 2 * cores, Recorders(corpora, 2 * cores));

        await WarmUpAsync([rawSide, httpSide], corpora, ct);
        for (var round = 1; round <= options.Rounds; round++)
        {
            foreach (var corpus in corpora) await MeasureRoundAsync(rawSide, httpSide, corpus, round, ct);
            SampleLoad();
        }

        // Memory right after the measured rounds; wrk comes last, as it stops with requests in flight.
        var memory = Memory(silo.ProcessId);
        WrkResult? wrk = null;
        if (options.Wrk ?? WrkRunner.IsInstalled())
        {
            log.WriteLine($"wrk: {options.WrkSeconds} s, {2 * cores} connections, {corpora[0].Name} corpus…");
            wrk = await WrkRunner.RunAsync(silo.BaseAddress, corpora[0], 2 * cores, options.WrkSeconds, ct);
            SampleLoad();
        }
        var results = corpora.Select(c => Compare(c, rawSide.Recorders[c.Name], httpSide.Recorders[c.Name])).ToList();
        return new BenchReport(DateTimeOffset.UtcNow, Machine(loadAtStart), options.Rounds, results, Targets(results), memory, wrk,
            http.Requests, http.SharedResponses);
    }

    private static Dictionary<string, ModeRecorder> Recorders(IReadOnlyList<Corpus> corpora, int concurrency) =>
        corpora.ToDictionary(c => c.Name, _ => new ModeRecorder(concurrency));

    /// <summary>
    /// Every corpus several times at full concurrency, then a few sentences one at a time: JIT tiers
    /// (a fresh silo compiles for ~1,500 requests before its CPU per request settles), engine caches, connections.
    /// </summary>
    private async Task WarmUpAsync(IEnumerable<Side> sides, IReadOnlyList<Corpus> corpora, CancellationToken ct)
    {
        foreach (var side in sides)
        {
            var requests = 0;
            for (var pass = 0; pass < options.WarmupPasses; pass++)
            {
                foreach (var corpus in corpora)
                {
                    requests += (await LoadDriver.ThroughputAsync(side.Target, corpus, side.Concurrency, 1, ct)).Sentences;
                }
            }
            foreach (var corpus in corpora)
                requests += (await LoadDriver.LatenciesAsync(side.Target, corpus with { Sentences = corpus.Sentences.Take(20).ToList() }, ct)).Length;
            log.WriteLine($"warm-up {side.Target.Name}: {requests} sentences");
        }
        // Let tiered compilation finish its background work before measuring.
        await Task.Delay(TimeSpan.FromSeconds(1), ct);
    }

    /// <summary>
    /// One round on one corpus: raw and HTTP throughput back to back (the order alternates between
    /// rounds), then latencies with each sentence spoken by both back to back, so that a burst of
    /// load from elsewhere hits both sides alike.
    /// </summary>
    private async Task MeasureRoundAsync(Side raw, Side http, Corpus corpus, int round, CancellationToken ct)
    {
        Side[] order = round % 2 == 1 ? [raw, http] : [http, raw];
        foreach (var side in order)
        {
            // Small corpora are repeated: enough sentences for a steady pipeline and CPU times well above /proc's 10 ms ticks.
            var passes = (options.MinThroughputSentences + corpus.Sentences.Count - 1) / corpus.Sentences.Count;
            var (run, cpu) = await side.Cpu.MeasureAsync(
                () => LoadDriver.ThroughputAsync(side.Target, corpus, side.Concurrency, passes, ct), passes * corpus.Sentences.Count);
            side.Recorders[corpus.Name].AddThroughput(run, cpu);
        }
        var (rawMs, httpMs) = await LoadDriver.PairedLatenciesAsync(raw.Target, http.Target, corpus, ct);
        raw.Recorders[corpus.Name].AddLatencies(rawMs);
        http.Recorders[corpus.Name].AddLatencies(httpMs);

        string Line(Side side) => FormattableString.Invariant(
            $"round {round} {corpus.Name,-3} {side.Target.Name,-4}: {side.Recorders[corpus.Name].LastSentencesPerSecond,7:0.0} sentences/s  p50 {Stats.Percentile(side.Recorders[corpus.Name].Latencies[^1], 50),6:0.00} ms  p99 {Stats.Percentile(side.Recorders[corpus.Name].Latencies[^1], 99),6:0.00} ms");
        log.WriteLine($"{Line(raw)}\n{Line(http)}  load {ProcFs.LoadAverage1().ToString("0.00", System.Globalization.CultureInfo.InvariantCulture)}");
    }

    private static CorpusResult Compare(Corpus corpus, ModeRecorder raw, ModeRecorder http)
    {
        var r = raw.Result();
        var h = http.Result();
        // Per sentence, HTTP minus raw latency in the same round; the median over all of them.
        var paired = raw.Latencies.Zip(http.Latencies).SelectMany(p => p.First.Zip(p.Second, (a, b) => b - a));
        // Per round: HTTP over raw throughput, and HTTP minus raw p50, each pair measured close together.
        var ratios = http.SentencesPerSecond.Zip(raw.SentencesPerSecond, (a, b) => a / b).ToList();
        var addedP50 = http.Latencies.Zip(raw.Latencies, (a, b) => Stats.Percentile(a, 50) - Stats.Percentile(b, 50)).ToList();
        var rawCpu = r.Cpu.EngineHostsMs + r.Cpu.BenchProcessMs;
        var serviceCpu = h.Cpu.EngineHostsMs + h.Cpu.SiloMs;
        return new CorpusResult(corpus.Name, corpus.VoiceId, corpus.Sentences.Count, r, h,
            Summary.Of(ratios, higherIsBetter: true),
            h.SentencesPerSecond.Best / r.SentencesPerSecond.Best,
            Summary.Of(addedP50, higherIsBetter: false),
            h.P50Ms.Best - r.P50Ms.Best,
            Stats.Percentile(paired, 50),
            rawCpu / serviceCpu,
            rawCpu / (serviceCpu + h.Cpu.BenchProcessMs));
    }

    private static List<TargetResult> Targets(IEnumerable<CorpusResult> results) =>
        results.SelectMany(c => new[]
        {
            new TargetResult(c.Corpus, "HTTP/raw throughput", c.ThroughputRatio.Median, ">= 0.90", c.ThroughputRatio.Median >= 0.90),
            new TargetResult(c.Corpus, "added p50 latency (ms)", c.AddedP50Ms.Median, "<= 2 ms", c.AddedP50Ms.Median <= 2.0),
        }).ToList();

    private static MemoryResult Memory(int siloPid)
    {
        var hosts = ProcFs.Descendants(siloPid);
        return new MemoryResult(ProcFs.RssKiB(siloPid), hosts.Count, hosts.Sum(ProcFs.RssKiB));
    }

    private void SampleLoad() => _loadSamples.Add(ProcFs.LoadAverage1());

    private MachineInfo Machine(string loadAtStart) => new(
        Environment.ProcessorCount, ProcFs.CpuModel(), ProcFs.MemTotalKiB(), RuntimeInformation.OSDescription,
        RuntimeInformation.FrameworkDescription, loadAtStart, ProcFs.LoadAverages(), _loadSamples.Min(), _loadSamples.Max());

    /// <summary>The Release silo of the repository this tool was built from.</summary>
    private static string DefaultSiloPath()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.Tts.sln")))
                return Path.Combine(dir.FullName, "Silo", "bin", "Release", "net10.0", "Orleans.Tts.Silo.dll");
        }
        throw new FileNotFoundException("Could not find the repository (Orleans.Tts.sln) above the tool; pass --silo PATH.");
    }
}

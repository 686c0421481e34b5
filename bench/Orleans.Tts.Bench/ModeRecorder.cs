namespace Orleans.Tts.Bench;

/// <summary>Accumulates the rounds of one target on one corpus.</summary>
public sealed class ModeRecorder(int concurrency)
{
    private readonly List<ThroughputRun> _throughput = [];
    private readonly List<CpuPerSentence> _cpu = [];
    private readonly List<double[]> _latencies = [];

    public int Concurrency => concurrency;

    public double LastSentencesPerSecond => _throughput[^1].SentencesPerSecond;

    /// <summary>Sentences per second of every round.</summary>
    public IEnumerable<double> SentencesPerSecond => _throughput.Select(t => t.SentencesPerSecond);

    /// <summary>Per-sentence latencies of every round, in corpus order.</summary>
    public IReadOnlyList<double[]> Latencies => _latencies;

    public void AddThroughput(ThroughputRun run, CpuPerSentence cpu)
    {
        _throughput.Add(run);
        _cpu.Add(cpu);
    }

    public void AddLatencies(double[] ms) => _latencies.Add(ms);

    public ModeResult Result() => new(
        concurrency,
        Summary.Of(_throughput.Select(t => t.SentencesPerSecond).ToList(), higherIsBetter: true),
        Summary.Of(_throughput.Select(t => t.AudioSeconds / t.Seconds).ToList(), higherIsBetter: true),
        Summary.Of(_latencies.Select(l => Stats.Percentile(l, 50)).ToList(), higherIsBetter: false),
        Summary.Of(_latencies.Select(l => Stats.Percentile(l, 99)).ToList(), higherIsBetter: false),
        new CpuPerSentence(
            Stats.Percentile(_cpu.Select(c => c.EngineHostsMs), 50),
            Stats.Percentile(_cpu.Select(c => c.SiloMs), 50),
            Stats.Percentile(_cpu.Select(c => c.BenchProcessMs), 50)));
}

namespace Orleans.Tts.Bench;

/// <summary>CPU time per sentence during the throughput runs (median of rounds), by process group.</summary>
public sealed record CpuPerSentence(double EngineHostsMs, double SiloMs, double BenchProcessMs);

/// <summary>One target (raw engine or HTTP) on one corpus over every round.</summary>
public sealed record ModeResult(int Concurrency, Summary SentencesPerSecond, Summary AudioSecondsPerSecond, Summary P50Ms, Summary P99Ms, CpuPerSentence Cpu);

/// <summary>
/// Raw against HTTP on one corpus. <see cref="ThroughputRatio"/> and <see cref="AddedP50Ms"/> are per
/// round (raw and HTTP measured back to back) and judged by their median; the "best" figures compare
/// the best rounds of each side. The CPU ratios are raw CPU per sentence (engine hosts + this
/// process) over HTTP CPU per sentence — of the service alone (engine hosts + silo) and including the
/// HTTP client in this process — i.e. the throughput ratio to expect when every core is busy with this
/// work alone, which a shared machine's wall-clock figures cannot show.
/// </summary>
public sealed record CorpusResult(
    string Corpus, string Voice, int Sentences, ModeResult Raw, ModeResult Http,
    Summary ThroughputRatio, double ThroughputRatioOfBestRounds, Summary AddedP50Ms, double AddedP50MsOfBestRounds, double AddedMsPerSentenceMedian,
    double CpuRatioService, double CpuRatioWithClient);

public sealed record TargetResult(string Corpus, string Figure, double Value, string Goal, bool Met);

public sealed record MemoryResult(long SiloRssKiB, int EngineHosts, long EngineHostsRssKiB)
{
    public long TotalRssKiB => SiloRssKiB + EngineHostsRssKiB;
}

public sealed record MachineInfo(int Cores, string CpuModel, long MemTotalKiB, string Os, string Runtime, string LoadAverageAtStart, string LoadAverageAtEnd, double Load1Min, double Load1Max);

/// <param name="HttpRequests">Requests the HTTP side sent, warm-up included.</param>
/// <param name="HttpSharedResponses">Of those, answered with the result of an identical request in flight at the same moment.</param>
public sealed record BenchReport(
    DateTimeOffset Date, MachineInfo Machine, int Rounds, IReadOnlyList<CorpusResult> Corpora,
    IReadOnlyList<TargetResult> Targets, MemoryResult Memory, WrkResult? Wrk, long HttpRequests, int HttpSharedResponses)
{
    public bool AllTargetsMet => Targets.All(t => t.Met);
}

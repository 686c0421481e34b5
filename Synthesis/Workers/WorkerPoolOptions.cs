namespace Orleans.Tts.Synthesis.Workers;

public sealed class WorkerPoolOptions
{
    /// <summary>Requests synthesised at once by this silo (<c>TTS_WORKERS</c>); default: usable cores.</summary>
    public int Parallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Requests that may wait for a worker (<c>TTS_WORKER_QUEUE</c>); one more is rejected at once.</summary>
    public int QueueLimit { get; set; } = 64;

    /// <summary>
    /// Sentences of one request synthesised at once (<c>TTS_REQUEST_PARALLELISM</c>); default half the
    /// workers (at least 1). A request takes extra workers only while they are free, so one long text
    /// cannot starve the others.
    /// </summary>
    public int? RequestParallelism { get; set; }

    public int EffectiveRequestParallelism => Math.Clamp(RequestParallelism ?? Parallelism / 2, 1, Parallelism);

    /// <summary>Longest piece handed to an engine in one call; longer sentences are split at clauses.</summary>
    public int MaxSentenceChars { get; set; } = 300;
}

namespace Orleans.Tts.Jobs;

/// <summary>Asynchronous jobs (TTS_MAX_JOB_CHARS, TTS_JOB_TTL_SECONDS, TTS_JOB_MAX_WORKERS, …).</summary>
public sealed class JobOptions
{
    /// <summary>Longest job input in characters (<c>TTS_MAX_JOB_CHARS</c>).</summary>
    public int MaxChars { get; set; } = 200_000;

    /// <summary>How long a finished job's result is kept (<c>TTS_JOB_TTL_SECONDS</c>).</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Jobs that may wait at once; one more is refused with 503 (<c>TTS_MAX_QUEUED_JOBS</c>).</summary>
    public int MaxQueuedJobs { get; set; } = 1000;

    /// <summary>Sentences per unit, the piece of a job one silo claims (<c>TTS_JOB_UNIT_SENTENCES</c>).</summary>
    public int UnitSentences { get; set; } = 4;

    /// <summary>Job units one silo runs at once (<c>TTS_JOB_MAX_WORKERS</c>); default half the workers, at least 1.</summary>
    public int MaxWorkers { get; set; } = 1;

    /// <summary>
    /// How often every process pings the job index (<c>TTS_JOB_POLL_MS</c>), which wakes the active jobs (a job whose silo died
    /// resumes on the next ping after Orleans declares it dead) and sweeps expired results.
    /// </summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// Bytes of job audio the cluster may hold at once (<c>TTS_JOB_STORAGE_MAX_BYTES</c>): stored results (16-bit PCM, until they
    /// expire) plus the expected size of queued and running jobs. A job that would exceed it is refused; accepted ones are never cut.
    /// </summary>
    public long StorageMaxBytes { get; set; } = EmbeddedStorageMaxBytes;

    /// <summary>The share of <see cref="StorageMaxBytes"/> one API key's jobs may hold (<c>TTS_JOB_STORAGE_CLIENT_SHARE</c>); only with keys.</summary>
    public double StorageClientShare { get; set; } = 0.5;

    /// <summary>Default budget of the embedded default (memory of one process): 4 GiB.</summary>
    public const long EmbeddedStorageMaxBytes = 4L << 30;

    /// <summary>Default budget of a cluster (Redis): 32 GiB.</summary>
    public const long ClusterStorageMaxBytes = 32L << 30;

    /// <summary>What one API key's jobs may hold.</summary>
    public long StorageClientMaxBytes => (long)(StorageMaxBytes * StorageClientShare);

    /// <summary>Tries of one unit before its job fails.</summary>
    public int MaxAttempts { get; set; } = 3;
}

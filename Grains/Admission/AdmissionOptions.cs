namespace Orleans.Tts.Grains.Admission;

/// <summary>Admission settings (TTS_GLOBAL_MAX_INFLIGHT, TTS_CLIENT_MAX_SHARE, TTS_ADMISSION_*, TTS_LONG_TEXT_CHARS, TTS_DEGRADE_QUEUE).</summary>
public sealed class AdmissionOptions
{
    /// <summary>Cluster-wide permits; null = the sum of the live silos' capacities.</summary>
    public int? GlobalMaxInflight { get; init; }
    /// <summary>This silo's capacity: the limit in the embedded default and while the admission grain is unreachable.</summary>
    public int LocalCapacity { get; init; } = Environment.ProcessorCount;
    /// <summary>Fraction of the limit one client may hold (at least one permit).</summary>
    public double ClientMaxShare { get; init; } = 0.5;
    public TimeSpan DefaultWait { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>Requests that may wait on this silo; one more is refused at once.</summary>
    public int QueueLimit { get; init; } = 64;
    /// <summary>Texts longer than this are "long" (synthesised piecewise; may fall back to a cheaper voice).</summary>
    public int LongTextChars { get; init; } = 1000;
    /// <summary>Cluster queue depth at or above which the cluster counts as saturated.</summary>
    public int DegradeQueueThreshold { get; init; } = 4;
    /// <summary>
    /// True (TTS_ADMISSION_DEADLINE=finish, the default): a request's wait is a deadline for the whole request, so it is
    /// queued only while its expected wait plus its expected service time fit in it, and a waiter whose time left no longer
    /// covers the expected service time is refused instead of being admitted late. False (start): the wait bounds only the
    /// time in the queue.
    /// </summary>
    public bool DeadlineCoversService { get; init; } = true;
    /// <summary>The service time assumed per request until the first permit is given back.</summary>
    public TimeSpan InitialServiceTime { get; init; } = TimeSpan.FromMilliseconds(500);
    /// <summary>
    /// How long a permit a client gave back (or one leased with a grant) stays with its holder for that client's next request
    /// before it goes back to the admission grain (TTS_ADMISSION_LINGER_MS; zero: at once, a grain call for every permit).
    /// </summary>
    public TimeSpan LeaseLinger { get; init; } = TimeSpan.FromMilliseconds(250);
    /// <summary>
    /// How long a process waits for the admission grain's answer before it admits locally (<c>X-Tts-Degraded: local-admission</c>;
    /// TTS_ADMISSION_GRAIN_TIMEOUT_MS):
    /// a call in flight to a silo just killed waits for Orleans' response timeout (30 s) otherwise.
    /// </summary>
    public TimeSpan GrainAnswerTimeout { get; init; } = TimeSpan.FromSeconds(1);
    /// <summary>How often a waiter re-checks without a wake-up signal.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    public int ClientLimit(int limit) => Math.Max(1, (int)Math.Floor(limit * ClientMaxShare));
}

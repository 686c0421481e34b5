using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Orleans.Tts.Telemetry;

/// <summary>
/// Every instrument of the <c>Orleans.Tts</c> meter, defined here and nowhere else. Instrument names are
/// the Prometheus names: OpenTelemetry's Prometheus exporter adds <c>_total</c> to counters and a unit suffix
/// (<c>s</c> → <c>_seconds</c>, <c>By</c> → <c>_bytes</c>) only where the name does not already end with it,
/// so every name here ends with its unit's suffix. Durations are in seconds.
/// One instance per host (from its <see cref="IMeterFactory"/>), so hosts in one process never mix.
/// </summary>
public sealed class TtsMetrics
{
    public const string MeterName = "Orleans.Tts";

    private static readonly double[] SecondsBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
    private static readonly double[] RatioBuckets = [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _requestDuration;
    private readonly Histogram<double> _timeToFirstAudio;
    private readonly Histogram<double> _realTimeFactor;
    // Observed rather than up-down counters: an exporter shows an up-down counter only after its first change, and an
    // idle silo's queue (0) must be on /metrics from the start for the autoscaler's queue_length.
    private int _workerQueue;
    private int _inFlight;
    private readonly Counter<long> _rejections;
    private readonly Counter<long> _degradations;
    private readonly Counter<long> _cacheLookups;
    private readonly Counter<long> _silosDeclaredDead;
    private int _liveSilos;
    private long _jobBacklog;
    private long _jobStoredBytes;
    private long _jobReservedBytes;
    private long _jobStorageLimitBytes;
    private long _cacheMemory;

    public TtsMetrics(IMeterFactory meterFactory)
    {
        Meter = meterFactory.Create(MeterName);
        _requests = Meter.CreateCounter<long>("tts_requests", description: "HTTP requests served, by route, method and status code.");
        _requestDuration = Meter.CreateHistogram("tts_request_duration_seconds", "s", "HTTP request duration, from the first byte in to the last byte out.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _timeToFirstAudio = Meter.CreateHistogram("tts_time_to_first_audio_seconds", "s", "Time from the request's arrival to the first byte of audio sent.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = SecondsBuckets });
        _realTimeFactor = Meter.CreateHistogram("tts_real_time_factor", description: "Synthesis time divided by the duration of the audio produced (below 1 is faster than real time).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = RatioBuckets });
        Meter.CreateObservableUpDownCounter("tts_worker_queue_length", () => Volatile.Read(ref _workerQueue), description: "Requests waiting for a synthesis worker of this silo.");
        Meter.CreateObservableUpDownCounter("tts_syntheses_in_flight", () => Volatile.Read(ref _inFlight), description: "Syntheses running on this silo's workers.");
        _rejections = Meter.CreateCounter<long>("tts_admission_rejections", description: "Requests refused with 503 and Retry-After, by reason.");
        _degradations = Meter.CreateCounter<long>("tts_degradations", description: "Requests served in a degraded way (cheaper voice, local admission), by reason.");
        _cacheLookups = Meter.CreateCounter<long>("tts_cache_lookups", description: "Result cache lookups, by result (hit or miss).");
        _silosDeclaredDead = Meter.CreateCounter<long>("tts_silos_declared_dead",
            description: "Silos this silo saw go from active straight to dead in Orleans' membership (declared dead by their peers or by Kubernetes hosting, not stopped).");
        Meter.CreateObservableGauge("tts_cluster_live_silos", () => Volatile.Read(ref _liveSilos), description: "Silos this silo sees as active (not dead, draining or stopped).");
        Meter.CreateObservableGauge("tts_cache_memory_bytes", () => Volatile.Read(ref _cacheMemory), "By",
            "Bytes of audio this process keeps in its local result cache (an LRU of at most TTS_CACHE_MEMORY_MB).");
        Meter.CreateObservableGauge("tts_job_backlog", () => Volatile.Read(ref _jobBacklog), description: "Asynchronous synthesis jobs queued or running, cluster-wide (from the job store, refreshed every 2 s).");
        Meter.CreateObservableGauge("tts_job_storage_bytes", () => new[]
            {
                new Measurement<long>(Volatile.Read(ref _jobStoredBytes), new KeyValuePair<string, object?>("kind", "stored")),
                new Measurement<long>(Volatile.Read(ref _jobReservedBytes), new KeyValuePair<string, object?>("kind", "reserved")),
            }, "By",
            "Job storage in use, cluster-wide: 'stored' PCM of results not yet expired, 'reserved' expected PCM of queued and running jobs' remaining units (refreshed every 2 s).");
        Meter.CreateObservableGauge("tts_job_storage_limit_bytes", () => Volatile.Read(ref _jobStorageLimitBytes), "By",
            "The job storage budget (TTS_JOB_STORAGE_MAX_BYTES): a job whose expected audio would exceed it is refused with 503.");

        Meter.CreateObservableCounter("process_cpu_seconds", () => { using var p = Process.GetCurrentProcess(); return p.TotalProcessorTime.TotalSeconds; }, "s",
            "Total user and system CPU time spent, in seconds.");
        Meter.CreateObservableGauge("process_resident_memory_bytes", () => Environment.WorkingSet, "By", "Resident memory size, in bytes.");
        Meter.CreateObservableGauge("process_start_time_seconds", () => { using var p = Process.GetCurrentProcess(); return new DateTimeOffset(p.StartTime.ToUniversalTime()).ToUnixTimeMilliseconds() / 1000.0; },
            "s", "Start time of the process since the Unix epoch, in seconds.");
        Meter.CreateObservableCounter("dotnet_gc_collections", () => Enumerable.Range(0, GC.MaxGeneration + 1)
            .Select(g => new Measurement<long>(GC.CollectionCount(g), new KeyValuePair<string, object?>("generation", $"gen{g}"))),
            description: "Garbage collections since the process started, by generation.");
        Meter.CreateObservableGauge("dotnet_gc_heap_size_bytes", () => GC.GetTotalMemory(false), "By", "Bytes currently thought to be allocated on the managed heap.");
        // RSS = managed memory the GC has committed + native memory (engines, buffers, thread stacks, code): these two show which grew.
        Meter.CreateObservableGauge("dotnet_gc_committed_bytes", () => GC.GetGCMemoryInfo().TotalCommittedBytes, "By",
            "Memory the garbage collector has committed for the managed heap (part of the resident memory), as of the last collection.");
        Meter.CreateObservableGauge("dotnet_gc_fragmented_bytes", () => GC.GetGCMemoryInfo().FragmentedBytes, "By",
            "Free space inside the managed heap, as of the last collection.");
        Meter.CreateObservableGauge("dotnet_gc_live_after_full_gc_bytes", LiveAfterFullCollection, "By",
            "Managed heap in use right after the last full (gen2) collection, free space excluded: what a leak grows, without the sawtooth of allocations between collections; 0 before the first.");
    }

    private static long LiveAfterFullCollection()
    {
        var blocking = GC.GetGCMemoryInfo(GCKind.FullBlocking);
        var background = GC.GetGCMemoryInfo(GCKind.Background);
        var last = blocking.Index >= background.Index ? blocking : background;
        if (last.Index == 0) return 0;
        long live = 0;
        foreach (var generation in last.GenerationInfo) live += generation.SizeAfterBytes - generation.FragmentationAfterBytes;
        return live;
    }

    public Meter Meter { get; }

    public void RequestCompleted(string route, string method, int status, TimeSpan duration)
    {
        _requests.Add(1, new("route", route), new("method", method), new("status", status.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        _requestDuration.Record(duration.TotalSeconds, new KeyValuePair<string, object?>("route", route), new("method", method));
    }

    public void FirstAudio(string route, TimeSpan sinceArrival) => _timeToFirstAudio.Record(sinceArrival.TotalSeconds, new KeyValuePair<string, object?>("route", route));

    /// <summary>One synthesis finished: its real-time factor.</summary>
    public void Synthesized(TimeSpan synthesis, TimeSpan audio)
    {
        if (audio > TimeSpan.Zero) _realTimeFactor.Record(synthesis.TotalSeconds / audio.TotalSeconds);
    }

    public void WorkerQueueChanged(int delta) => Interlocked.Add(ref _workerQueue, delta);
    public void SynthesesInFlightChanged(int delta) => Interlocked.Add(ref _inFlight, delta);

    /// <param name="reason">Short snake_case reason, e.g. <c>admission_queue_full</c>.</param>
    public void Rejected(string reason) => _rejections.Add(1, new KeyValuePair<string, object?>("reason", reason));

    /// <param name="reasons">The degradation as reported in <c>X-Tts-Degraded</c> (comma-separated reasons).</param>
    public void Degraded(string reasons)
    {
        foreach (var reason in reasons.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            _degradations.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    public void CacheLookup(bool hit) => _cacheLookups.Add(1, new KeyValuePair<string, object?>("result", hit ? "hit" : "miss"));
    public void SiloDeclaredDead() => _silosDeclaredDead.Add(1);
    public void LiveSilos(int count) => Volatile.Write(ref _liveSilos, count);
    public void JobBacklog(long count) => Volatile.Write(ref _jobBacklog, count);

    public void JobStorage(long storedBytes, long reservedBytes, long limitBytes)
    {
        Volatile.Write(ref _jobStoredBytes, storedBytes);
        Volatile.Write(ref _jobReservedBytes, reservedBytes);
        Volatile.Write(ref _jobStorageLimitBytes, limitBytes);
    }

    public void CacheMemory(long bytes) => Volatile.Write(ref _cacheMemory, bytes);
}

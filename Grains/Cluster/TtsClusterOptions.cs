using Orleans.Tts.Cluster;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>This process in the cluster, and its lifecycle settings (TTS_SILO_ID, TTS_DRAIN_SECONDS).</summary>
public sealed class TtsClusterOptions
{
    public required SiloIdentity Self { get; init; }
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>Live figures of this process, written by admission and read by the synthesis grain's load report and /cluster.</summary>
public sealed class ClusterLoad
{
    private int _held, _queued, _queuedElsewhere, _running;
    public int HeldHere => Volatile.Read(ref _held);
    public int QueuedHere => Volatile.Read(ref _queued);
    public int Running => Volatile.Read(ref _running);
    /// <summary>Requests waiting on the other silos (from their last load reports).</summary>
    public int QueuedElsewhere { get => Volatile.Read(ref _queuedElsewhere); set => Volatile.Write(ref _queuedElsewhere, value); }
    public int AddHeld(int delta) => Interlocked.Add(ref _held, delta);
    public int AddQueued(int delta) => Interlocked.Add(ref _queued, delta);
    public int AddRunning(int delta) => Interlocked.Add(ref _running, delta);
}

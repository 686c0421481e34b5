using Orleans.Tts.Cluster;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>Membership and lifecycle settings (TTS_HEARTBEAT_MS, TTS_DEAD_SILO_SECONDS, TTS_DRAIN_SECONDS).</summary>
public sealed class ClusterOptions
{
    public required SiloIdentity Self { get; init; }
    /// <summary>This silo's HTTP/2 cleartext endpoint for frontends (<c>TTS_INTERNAL_PORT</c>), or null when it serves none.</summary>
    public string? InternalAddress { get; init; }
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan DeadAfter { get; init; } = TimeSpan.FromSeconds(10);
    public TimeSpan DrainTimeout { get; init; } = TimeSpan.FromSeconds(30);
    /// <summary>How often a silo that lost PostgreSQL tries again.</summary>
    public TimeSpan ReconnectInterval { get; init; } = TimeSpan.FromSeconds(1);
}

/// <summary>Live figures of this silo, written by admission and read by membership (heartbeats) and /cluster.</summary>
public sealed class ClusterLoad
{
    private int _held, _queued, _queuedElsewhere, _running;
    public int HeldHere => Volatile.Read(ref _held);
    public int QueuedHere => Volatile.Read(ref _queued);
    public int Running => Volatile.Read(ref _running);
    /// <summary>Requests waiting on the other silos (from their last heartbeats).</summary>
    public int QueuedElsewhere { get => Volatile.Read(ref _queuedElsewhere); set => Volatile.Write(ref _queuedElsewhere, value); }
    public int AddHeld(int delta) => Interlocked.Add(ref _held, delta);
    public int AddQueued(int delta) => Interlocked.Add(ref _queued, delta);
    public int AddRunning(int delta) => Interlocked.Add(ref _running, delta);

    /// <summary>Permit leases this silo holds in PostgreSQL (renewed by heartbeats).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<Guid, byte> PermitLeases { get; } = new();

    /// <summary>
    /// Permit rows this silo no longer holds but could not delete (PostgreSQL away at release, or an acquisition whose
    /// answer was lost); the next heartbeat deletes them. Only these: a row granted between a heartbeat's look at
    /// <see cref="PermitLeases"/> and its DELETE is held, not stale.
    /// </summary>
    public System.Collections.Concurrent.ConcurrentDictionary<Guid, byte> StalePermits { get; } = new();

    /// <summary>Cache keys this silo is synthesising for the cluster (pending rows it owns).</summary>
    public System.Collections.Concurrent.ConcurrentDictionary<string, byte> PendingKeys { get; } = new();
}

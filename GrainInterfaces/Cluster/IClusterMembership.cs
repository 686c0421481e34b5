namespace Orleans.Tts.Cluster;

/// <summary>The silos of the cluster as this silo sees them.</summary>
public interface IClusterMembership
{
    SiloIdentity Self { get; }
    ValueTask<ClusterView> GetViewAsync(CancellationToken cancellationToken = default);
}

/// <param name="Capacity">Syntheses this silo runs at once.</param>
public sealed record SiloIdentity(string Id, string Address, string Version, int Capacity);

/// <param name="Status"><c>active</c>, <c>draining</c>, <c>dead</c> or <c>stopped</c>.</param>
/// <param name="Load">Syntheses running.</param>
/// <param name="Queued">Requests waiting for an admission permit.</param>
public sealed record SiloMember(string Id, string Address, string Version, int Capacity, int Load, int Queued, string Status,
    DateTimeOffset LastHeartbeat, bool IsSelf);

/// <param name="Mode"><c>embedded</c> (a cluster of one on loopback) or <c>redis</c> (membership in <c>TTS_REDIS</c>).</param>
/// <param name="Storage">Where grain state lives: <c>memory</c> (embedded) or <c>redis</c>.</param>
/// <param name="GlobalLimit">Cluster-wide synthesis permits.</param>
/// <param name="PermitsInUse">Permits held now, cluster-wide.</param>
public sealed record ClusterView(string Mode, string Storage, IReadOnlyList<SiloMember> Members, int GlobalLimit, int PermitsInUse);

/// <summary>Whether this silo accepts new work; drains on SIGTERM.</summary>
public interface ISiloActivity
{
    bool Draining { get; }
    int InFlight { get; }
    /// <summary>Registers one request in flight, or returns null when the silo is draining.</summary>
    IDisposable? TryBegin();
}

/// <summary>Shared state (Redis) cannot be reached now; the caller should retry later.</summary>
public sealed class StorageUnavailableException(string message, Exception? inner = null) : Exception(message, inner)
{
    public TimeSpan RetryAfter { get; init; } = TimeSpan.FromSeconds(2);
}

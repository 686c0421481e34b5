namespace Orleans.Tts.Cluster;

/// <summary>The silos a frontend can send synthesis to (a gateway list, refreshed from the membership table).</summary>
public interface ISiloDirectory
{
    /// <summary>Active silos with an internal endpoint, as last read.</summary>
    IReadOnlyList<SiloGateway> Gateways { get; }

    /// <summary>When the list was last read successfully; null before the first read.</summary>
    DateTimeOffset? RefreshedAt { get; }

    /// <summary>Reads the list again now (e.g. after every known silo failed).</summary>
    Task RefreshAsync(CancellationToken cancellationToken = default);
}

/// <param name="InternalAddress">The silo's HTTP/2 cleartext endpoint, e.g. <c>http://10.0.0.5:9080</c>.</param>
/// <param name="Load">Syntheses running at the silo's last heartbeat.</param>
public sealed record SiloGateway(string Id, string InternalAddress, int Capacity, int Load, int Queued);

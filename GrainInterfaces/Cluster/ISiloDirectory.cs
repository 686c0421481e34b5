namespace Orleans.Tts.Cluster;

/// <summary>The silos a process can send synthesis to: Orleans' active silos with the load each last reported.</summary>
public interface ISiloDirectory
{
    /// <summary>Active silos with synthesis workers, as last read.</summary>
    IReadOnlyList<SiloGateway> Gateways { get; }

    /// <summary>When the list was last read successfully; null before the first read.</summary>
    DateTimeOffset? RefreshedAt { get; }

    /// <summary>The name (<c>TTS_SILO_ID</c>) each silo seen so far reported, by <see cref="SiloGateway.Id"/>: dead ones too.</summary>
    IReadOnlyDictionary<string, string> Names { get; }

    /// <summary>Reads the list again now (e.g. after every known silo failed).</summary>
    Task RefreshAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A silo (by <see cref="SiloGateway.Id"/>) could not be reached by a refresh or was declared dead: calls in flight to it
    /// will not be answered before Orleans' response timeout.
    /// </summary>
    event Action<string>? SiloLost;

    /// <summary>
    /// This process (an Orleans client) lost its connection to a gateway: calls in flight through it will not be answered before
    /// Orleans' response timeout, whichever silo they were for. Never raised in a silo, whose calls go to their silo directly.
    /// </summary>
    event Action? GatewayLost;
}

/// <param name="Id">The silo's address in Orleans' parsable form: also the key of its <see cref="Synthesis.ISynthesisGrain"/>.</param>
/// <param name="Load">Syntheses running at the silo's last report.</param>
/// <param name="Name">The silo's own name (<c>TTS_SILO_ID</c>).</param>
public sealed record SiloGateway(string Id, Orleans.Runtime.SiloAddress Address, int Capacity, int Load, int Queued, string Name);

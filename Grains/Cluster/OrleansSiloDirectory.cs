using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Tts.Cluster;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Grains.Cluster;

public sealed record SiloDirectoryOptions(TimeSpan RefreshInterval);

/// <summary>
/// Orleans' active silos (the management grain's view of membership) with the load each one's <see cref="ISynthesisGrain"/>
/// reports, read every refresh interval; a silo that does not answer within a second is left out of this round.
/// </summary>
public sealed class OrleansSiloDirectory : BackgroundService, ISiloDirectory
{
    private readonly IGrainFactory grains;
    private readonly SiloDirectoryOptions options;
    private readonly ClusterLoad load;
    private readonly ILogger<OrleansSiloDirectory> logger;

    /// <param name="gateways">The client's gateway connections (a frontend); null in a silo.</param>
    public OrleansSiloDirectory(IGrainFactory grains, SiloDirectoryOptions options, ClusterLoad load, ILogger<OrleansSiloDirectory> logger,
        GatewayConnections? gateways = null)
    {
        (this.grains, this.options, this.load, this.logger) = (grains, options, load, logger);
        if (gateways is not null) gateways.Closed += OnGatewayClosed;
    }

    private static readonly TimeSpan LoadTimeout = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan HostsTimeout = TimeSpan.FromSeconds(2);
    private volatile IReadOnlyList<SiloGateway> _gateways = [];
    private DateTimeOffset? _refreshedAt;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, string> Names => _names;

    public IReadOnlyList<SiloGateway> Gateways => _gateways;

    public DateTimeOffset? RefreshedAt => _refreshedAt;

    public event Action<string>? SiloLost;

    public event Action? GatewayLost;

    private void OnGatewayClosed()
    {
        logger.LogInformation("A gateway connection closed; sentences in flight still unanswered a moment later are asked again");
        try { GatewayLost?.Invoke(); }
        catch (Exception e) { logger.LogWarning(e, "A handler of a gateway's loss failed"); }
    }

    private HashSet<string> _active = new(StringComparer.Ordinal);

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        // Bounded: a call in flight through a gateway that was just killed waits for the response timeout (30 s), and this list
        // would keep a dead silo and miss its replacement for as long. The next refresh asks again.
        var members = await grains.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: false).WaitAsync(HostsTimeout, cancellationToken);
        var hosts = members.Where(m => m.Value == SiloStatus.Active).Select(m => m.Key).ToList();
        var loads = await Task.WhenAll(hosts.Select(async silo =>
        {
            try
            {
                var key = SynthesisGrainKey.Of(silo);
                var reported = await grains.GetGrain<ISynthesisGrain>(key).GetLoadAsync().WaitAsync(LoadTimeout, cancellationToken);
                return (Gateway: new SiloGateway(key, silo, reported.Capacity, reported.Running, reported.Queued, reported.Name), reported);
            }
            catch (Exception e) when (!cancellationToken.IsCancellationRequested)
            {
                logger.LogDebug("Silo {Silo} did not report its load ({Error})", silo, e.GetBaseException().Message);
                if (GrainCallRetry.IsUndelivered(e)) Lost(SynthesisGrainKey.Of(silo));
                return default;
            }
        }));
        // A silo declared dead is lost too; one shutting down is not (its work in flight finishes there).
        var status = members.ToDictionary(m => SynthesisGrainKey.Of(m.Key), m => m.Value, StringComparer.Ordinal);
        foreach (var id in _active)
            if (!status.TryGetValue(id, out var now) || now == SiloStatus.Dead) Lost(id);
        // Every silo not yet dead is watched, so one that shut down gracefully is lost too (its callers forget it).
        _active = status.Where(s => s.Value != SiloStatus.Dead).Select(s => s.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (gateway, _) in loads) if (gateway is not null) _names[gateway.Id] = gateway.Name;
        // Names of dead silos stay while Orleans keeps them in its membership table (it removes defunct entries after a week).
        foreach (var id in _names.Keys) if (!status.ContainsKey(id)) _names.TryRemove(id, out _);
        var live = loads.Where(l => l.Gateway is not null && l.Gateway.Capacity > 0 && l.reported.Ready && !l.reported.Draining).ToList();
        _gateways = live.Select(l => l.Gateway).OrderBy(g => g.Id, StringComparer.Ordinal).ToList();
        load.QueuedElsewhere = live.Sum(l => l.reported.AdmissionQueued) - load.QueuedHere;
        _refreshedAt = DateTimeOffset.UtcNow;
    }

    private void Lost(string siloId)
    {
        try { SiloLost?.Invoke(siloId); }
        catch (Exception e) { logger.LogWarning(e, "A handler of the loss of silo {Silo} failed", siloId); }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RefreshInterval);
        do
        {
            try { await RefreshAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e)
            {
                // Keep the last list: the silos it names keep serving, and failed calls move to others.
                logger.LogWarning("Could not refresh the silo list ({Error}); keeping {Count} known silos", e.GetBaseException().Message, _gateways.Count);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }
}

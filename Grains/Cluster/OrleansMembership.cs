using Orleans.Runtime;
using Orleans.Tts.Admission;
using Orleans.Tts.Cluster;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>
/// <c>GET /cluster</c> in an Orleans cluster: every silo Orleans' membership knows (with its status), the load the active ones
/// last reported to <paramref name="directory"/>, and the admission grain's count of permits. <paramref name="self"/> is this silo's
/// address (null in a frontend).
/// </summary>
public sealed class OrleansMembership(IGrainFactory grains, ISiloDirectory directory, TtsClusterOptions options, string mode, string? self)
    : IClusterMembership
{
    public SiloIdentity Self => options.Self;

    public async ValueTask<ClusterView> GetViewAsync(CancellationToken cancellationToken = default)
    {
        // What cannot be asked now (the admission grain's silo just died, the cluster is forming) is reported as unknown, never as a 500.
        var hosts = await AskAsync(() => grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false), cancellationToken) ?? [];
        var admission = await AskAsync(() => grains.GetGrain<IAdmissionGrain>(0).GetSnapshotAsync(), cancellationToken) ?? new AdmissionSnapshot(-1, -1, new Dictionary<string, int>());
        var loads = directory.Gateways.ToDictionary(g => g.Id, StringComparer.Ordinal);
        var members = hosts
            .Where(h => h.Status != SiloStatus.Dead || DateTime.UtcNow - h.IAmAliveTime < TimeSpan.FromMinutes(10))
            .Select(h =>
            {
                var id = h.SiloAddress.ToParsableString();
                var load = loads.GetValueOrDefault(id);
                var name = h.SiloName is { Length: > 0 } named ? named : directory.Names.TryGetValue(id, out var reported) && reported.Length > 0 ? reported : id;
                return new SiloMember(name, id, options.Self.Version, load?.Capacity ?? 0, load?.Load ?? 0, load?.Queued ?? 0,
                    h.Status.ToString().ToLowerInvariant(), new DateTimeOffset(DateTime.SpecifyKind(h.IAmAliveTime, DateTimeKind.Utc)), id == self);
            })
            .OrderBy(m => m.Id, StringComparer.Ordinal)
            .ToList();
        return new ClusterView(mode, mode == "embedded" ? "memory" : "redis", members, admission.Limit, admission.InUse);
    }

    private static async Task<T?> AskAsync<T>(Func<Task<T>> call, CancellationToken cancellationToken) where T : class
    {
        try
        {
            return await call().WaitAsync(TimeSpan.FromSeconds(3), cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }
}

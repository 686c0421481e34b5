using Orleans.Runtime;
using Orleans.Tts.Admission;
using Orleans.Tts.Cluster;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>
/// <c>GET /cluster</c> in an Orleans cluster: every silo Orleans' membership knows (with its status), the load the active ones
/// last reported to <paramref name="directory"/>, and the admission grain's count of permits. <paramref name="self"/> is this silo's
/// address (null in a frontend).
/// </summary>
public sealed class OrleansMembership(IGrainFactory grains, ISiloDirectory directory, TtsClusterOptions options, string mode, Func<string> storage, string? self)
    : IClusterMembership
{
    public SiloIdentity Self => options.Self;

    public async ValueTask<ClusterView> GetViewAsync(CancellationToken cancellationToken = default)
    {
        var hosts = await grains.GetGrain<IManagementGrain>(0).GetDetailedHosts(onlyActive: false).WaitAsync(cancellationToken);
        var admission = await grains.GetGrain<IAdmissionGrain>(0).GetSnapshotAsync().WaitAsync(cancellationToken);
        var loads = directory.Gateways.ToDictionary(g => g.Id, StringComparer.Ordinal);
        var members = hosts
            .Where(h => h.Status != SiloStatus.Dead || DateTime.UtcNow - h.IAmAliveTime < TimeSpan.FromMinutes(10))
            .Select(h =>
            {
                var id = h.SiloAddress.ToParsableString();
                var load = loads.GetValueOrDefault(id);
                return new SiloMember(id, h.SiloAddress.Endpoint.ToString(), options.Self.Version, load?.Capacity ?? 0, load?.Load ?? 0, load?.Queued ?? 0,
                    h.Status.ToString().ToLowerInvariant(), new DateTimeOffset(DateTime.SpecifyKind(h.IAmAliveTime, DateTimeKind.Utc)), id == self);
            })
            .OrderBy(m => m.Id, StringComparer.Ordinal)
            .ToList();
        return new ClusterView(mode, storage(), members, admission.Limit, admission.InUse);
    }
}

using Orleans.Tts.Admission;
using Orleans.Tts.Cluster;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>The embedded default: the cluster is this silo.</summary>
public sealed class InMemoryMembership(ClusterOptions options, SiloActivity activity, ISynthesisWorker worker, IAdmissionGrain admission)
    : IClusterMembership, IMembershipLifecycle
{
    public SiloIdentity Self => options.Self;

    public ValueTask<ClusterView> GetViewAsync(CancellationToken cancellationToken = default)
    {
        var status = admission.Status;
        var self = new SiloMember(Self.Id, Self.Address, Self.Version, Self.Capacity, worker.Status.Running, status.QueuedHere,
            activity.Draining ? "draining" : "active", DateTimeOffset.UtcNow, IsSelf: true);
        return ValueTask.FromResult(new ClusterView("embedded", "none", [self], status.Limit, status.InUse));
    }

    public Task MarkDrainingAsync(CancellationToken ct) => Task.CompletedTask;
    public Task LeaveAsync(CancellationToken ct) => Task.CompletedTask;
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Tts.Admission;
using Orleans.Tts.Cluster;

namespace Orleans.Tts.Frontend.Cluster;

/// <summary>This silo's identity and admission state, with the cluster it sees.</summary>
public sealed record ClusterReport(string Self, bool Draining, int InFlight, AdmissionStatus Admission, ClusterView Cluster);

public static class ClusterApi
{
    public static IEndpointRouteBuilder MapClusterEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/cluster", async (IClusterMembership membership, IAdmission admission, ISiloActivity activity, CancellationToken ct) =>
                TypedResults.Ok(new ClusterReport(membership.Self.Id, activity.Draining, activity.InFlight, admission.Status, await membership.GetViewAsync(ct))))
            .WithName("Cluster")
            .WithSummary("Members of the cluster (in the embedded default: this silo) with capacity, load and status; admission figures.");
        return app;
    }
}

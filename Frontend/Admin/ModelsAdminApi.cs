using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Cluster;
using Orleans.Tts.Frontend.Problems;
using Orleans.Tts.Models;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Frontend.Admin;

/// <summary>One silo's part of a cluster-wide reload: how many model voices it now serves and how many files failed, or why it did not answer.</summary>
public sealed record SiloModelReload(string Silo, int Voices, int Failures, string? Error);

/// <summary>This silo's reload (the first silo's on a frontend) and every other silo's outcome.</summary>
public sealed record ClusterModelReload(string Directory, IReadOnlyList<VoiceInfo> Voices, IReadOnlyList<ModelLoadFailure> Failures,
    IReadOnlyList<SiloModelReload> Silos);

public static class ModelsAdminApi
{
    private static readonly TimeSpan SiloTimeout = TimeSpan.FromSeconds(60);

    public static IEndpointRouteBuilder MapModelsAdminEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/admin/models/reload", ReloadAsync)
            .WithName("ReloadModels")
            .WithSummary("Rescans TTS_MODELS_DIR on every silo of the cluster: loads new and changed models, drops removed ones; returns this silo's model voices and failed files, and each other silo's outcome.")
            .Produces<ClusterModelReload>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    /// <summary>
    /// The silo that is asked reloads its own directory; every other active silo is told through its synthesis grain, so an
    /// operator (or a deploy job) reloads the cluster with one call, to any silo or frontend.
    /// </summary>
    private static async Task<IResult> ReloadAsync(HttpContext http, CancellationToken ct)
    {
        var services = http.RequestServices;
        var catalog = services.GetService<IModelCatalog>();
        var self = services.GetService<IClusterMembership>()?.Self.Id;
        var grains = services.GetService<IGrainFactory>();
        var others = grains is not null && services.GetService<ISiloDirectory>() is { } directory
            ? directory.Gateways.Where(g => catalog is null || g.Name != self).ToList()
            : [];
        var reloads = others.Select(async g =>
        {
            try
            {
                var report = await grains!.GetGrain<ISynthesisGrain>(g.Id).ReloadModelsAsync().WaitAsync(SiloTimeout, ct);
                return (Outcome: new SiloModelReload(g.Name, report.Voices.Count, report.Failures.Count, null), Report: report);
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                return (Outcome: new SiloModelReload(g.Name, 0, 0, e.GetBaseException().Message), Report: (ModelReloadReport?)null);
            }
        }).ToList();
        var local = catalog is null ? null : await catalog.ReloadAsync(ct);
        var remote = await Task.WhenAll(reloads);
        var shown = local ?? remote.Select(r => r.Report).FirstOrDefault(r => r is not null);
        if (shown is null)
            return Problem.Of(StatusCodes.Status404NotFound, "No model catalog",
                "This process serves no model directory and no silo answered the reload; GET /cluster lists the silos.");
        return Results.Ok(new ClusterModelReload(shown.Directory, shown.Voices, shown.Failures, remote.Select(r => r.Outcome).ToList()));
    }
}

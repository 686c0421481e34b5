using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Frontend.Problems;
using Orleans.Tts.Models;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Frontend.Admin;

/// <summary>One silo's part of a cluster-wide reload: how many model voices it now serves and how many files failed, or why it did not answer.</summary>
public sealed record SiloModelReload(string Silo, int Voices, int Failures, string? Error);

/// <summary>This silo's reload (the first silo's on a frontend) and every other silo's outcome.</summary>
public sealed record ClusterModelReload(string Directory, IReadOnlyList<VoiceInfo> Voices, IReadOnlyList<ModelLoadFailure> Failures,
    IReadOnlyList<SiloModelReload> Silos);

public static class ModelsAdminApi
{
    public static IEndpointRouteBuilder MapModelsAdminEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/admin/models/reload", ReloadAsync)
            .WithName("ReloadModels")
            .WithSummary("Rescans TTS_MODELS_DIR on every silo of the cluster (one event on the cluster's model-reload stream, acknowledged by each silo): loads new and changed models, drops removed ones; returns this silo's model voices and failed files, and each other silo's outcome.")
            .Produces<ClusterModelReload>()
            .ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    /// <summary>
    /// One call to any silo or frontend reloads every silo (<see cref="IClusterModelReloads"/>: an event on the cluster's
    /// model-reload stream that each silo acknowledges); the answer shows this silo's report (the first silo's, on a frontend).
    /// </summary>
    private static async Task<IResult> ReloadAsync(HttpContext http, CancellationToken ct)
    {
        var services = http.RequestServices;
        var catalog = services.GetService<IModelCatalog>();
        if (services.GetService<IClusterModelReloads>() is not { } cluster)
            return catalog is null ? NoCatalog() : Results.Ok(Report(await catalog.ReloadAsync(ct), []));
        IReadOnlyList<SiloReloadOutcome> outcomes;
        try
        {
            outcomes = await cluster.ReloadAsync(ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested)
        {
            // Orleans' messages carry exception text and stack traces: they go to the log, not to the client.
            services.GetRequiredService<ILoggerFactory>().CreateLogger("Orleans.Tts.Admin.Models").LogWarning(e, "A model reload was not sent");
            return Problem.Of(StatusCodes.Status503ServiceUnavailable, "Model reload not sent",
                "The cluster's model-reload stream could not be reached; try again.");
        }
        var self = outcomes.FirstOrDefault(o => o.Self);
        var shown = self?.Report ?? (catalog is null ? outcomes.FirstOrDefault(o => o.Report is not null)?.Report : null);
        if (shown is null)
            return catalog is null
                ? NoCatalog()
                : Problem.Of(StatusCodes.Status503ServiceUnavailable, "Model reload not applied",
                    $"This silo did not apply the reload: {self?.Error ?? "no answer"}.");
        return Results.Ok(Report(shown, [.. outcomes.Where(o => !o.Self)
            .Select(o => new SiloModelReload(o.Silo, o.Report?.Voices.Count ?? 0, o.Report?.Failures.Count ?? 0, o.Report is null ? o.Error : null))]));
    }

    private static ClusterModelReload Report(ModelReloadReport shown, IReadOnlyList<SiloModelReload> silos) =>
        new(shown.Directory, shown.Voices, shown.Failures, silos);

    private static IResult NoCatalog() => Problem.Of(StatusCodes.Status404NotFound, "No model catalog",
        "This process serves no model directory and no silo answered the reload; GET /cluster lists the silos.");
}

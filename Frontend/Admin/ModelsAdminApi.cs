using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Tts.Frontend.Problems;
using Orleans.Tts.Models;

namespace Orleans.Tts.Frontend.Admin;

public static class ModelsAdminApi
{
    public static IEndpointRouteBuilder MapModelsAdminEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/admin/models/reload", async (HttpContext http, CancellationToken ct) =>
                http.RequestServices.GetService(typeof(IModelCatalog)) is IModelCatalog catalog
                    ? Results.Ok(await catalog.ReloadAsync(ct))
                    : Problem.Of(StatusCodes.Status404NotFound, "No model catalog", "This process serves no model directory (it hosts no silo)."))
            .WithName("ReloadModels")
            .WithSummary("Rescans TTS_MODELS_DIR: loads new and changed models, drops removed ones; returns the model voices and the files that failed.")
            .Produces<ModelReloadReport>()
            .ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }
}

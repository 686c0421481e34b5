using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Tts.Frontend.Problems;

namespace Orleans.Tts.Frontend.Voices;

/// <summary>One entry of <c>GET /v1/models</c>, in OpenAI's model object shape.</summary>
public sealed record ModelObject(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("created")] long Created,
    [property: JsonPropertyName("owned_by")] string OwnedBy);

public sealed record ModelList(
    [property: JsonPropertyName("object")] string Object,
    [property: JsonPropertyName("data")] IReadOnlyList<ModelObject> Data);

/// <summary>
/// <c>GET /v1/models</c> and <c>GET /v1/models/{id}</c> as OpenAI answers them, so SDKs and UIs that list models before they
/// speak find the speech models. Every name is accepted by <c>/v1/audio/speech</c> and all speak the same way here: the voice
/// chooses the engine, not the model.
/// </summary>
public static class ModelsApi
{
    /// <summary>OpenAI's speech model names.</summary>
    public static readonly IReadOnlyList<string> Names = ["tts-1", "tts-1-hd", "gpt-4o-mini-tts"];

    // A fixed date (2026-12-07, when the list was added): OpenAI's "created" is a Unix time, and a constant keeps answers cacheable.
    private const long Created = 1796601600;

    private static readonly ModelList List = new("list", [.. Names.Select(n => new ModelObject(n, "model", Created, "orleans-tts"))]);

    public static IEndpointRouteBuilder MapModelsEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/models", () => TypedResults.Ok(List))
            .WithName("ListModels").WithSummary("OpenAI's speech model names, in OpenAI's list shape; the voice, not the model, chooses the engine.");
        app.MapGet("/v1/models/{id}", (string id) => List.Data.FirstOrDefault(m => m.Id.Equals(id, StringComparison.OrdinalIgnoreCase)) is { } model
                ? Results.Ok(model)
                : Problem.Of(StatusCodes.Status404NotFound, "Unknown model",
                    $"There is no model '{(id.Length > 64 ? id[..64] + "…" : id)}'. Models: {string.Join(", ", Names)}.",
                    new Dictionary<string, object?> { ["models"] = Names }))
            .WithName("GetModel").WithSummary("One model object; 404 with the list for an unknown id.");
        return app;
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Tts.Frontend.Admin;
using Orleans.Tts.Frontend.Auth;
using Orleans.Tts.Frontend.Cluster;
using Orleans.Tts.Frontend.Health;
using Orleans.Tts.Frontend.Jobs;
using Orleans.Tts.Frontend.Limits;
using Orleans.Tts.Frontend.Metrics;
using Orleans.Tts.Frontend.Problems;
using Orleans.Tts.Frontend.Speakers;
using Orleans.Tts.Frontend.Speech;
using Orleans.Tts.Frontend.Streaming;
using Orleans.Tts.Frontend.Voices;
using Orleans.Tts.Frontend.WebUi;
using Orleans.Tts.Speech;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Frontend;

public static class FrontendExtensions
{
    /// <summary>The public HTTP API's services: options from TTS_* settings, problem details, OpenAPI.</summary>
    public static IHostApplicationBuilder AddFrontend(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSpeechPipeline(builder.Configuration);
        builder.Services.AddSingleton(new FrontendOptions
        {
            MaxSpeakers = Setting.PositiveInt(builder.Configuration, "TTS_MAX_SPEAKERS", 10_000, max: 10_000),
            MaxRequestBodyBytes = FrontendOptions.BodyBytesFor(SpeechOptions.From(builder.Configuration).MaxInputChars),
        });
        builder.Services.AddSingleton<SpeechStreamer>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.AddTtsPrometheusMetrics();
        builder.Services.AddApiKeyAuthentication(ApiKeyOptions.From(builder.Configuration));
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        return builder;
    }

    /// <summary>API-key authentication, then maps the speech API, voices, health probes, metrics, model reload, OpenAPI document and the WebUI.</summary>
    public static WebApplication MapSpeechApi(this WebApplication app)
    {
        app.UseTtsMetrics();
        app.UseProblemResponses();
        app.UseRequestLimitProblems();
        app.UseApiKeyAuthentication();
        // One document, at a fixed path: a {documentName} route would answer other names with a plain-text 404.
        app.MapOpenApi("/openapi/v1.json");
        app.MapSpeechEndpoint();
        app.MapVoicesEndpoint();
        app.MapModelsEndpoint();
        app.MapHealthEndpoints();
        app.MapClusterEndpoint();
        app.MapSpeakersEndpoints();
        app.MapJobsEndpoints();
        app.MapModelsAdminEndpoints();
        app.MapWebUi();
        return app;
    }
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Tts.Frontend.Admin;
using Orleans.Tts.Frontend.Health;
using Orleans.Tts.Frontend.Speech;
using Orleans.Tts.Frontend.Voices;
using Orleans.Tts.Frontend.WebUi;

namespace Orleans.Tts.Frontend;

public static class FrontendExtensions
{
    /// <summary>The public HTTP API's services: options from TTS_* settings, problem details, OpenAPI.</summary>
    public static IHostApplicationBuilder AddFrontend(this IHostApplicationBuilder builder)
    {
        var options = new FrontendOptions
        {
            MaxInputChars = Setting.PositiveInt(builder.Configuration, "TTS_MAX_INPUT_CHARS", 4096),
        };
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<VoiceResolver>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        return builder;
    }

    /// <summary>Maps the speech API, voices, health probes, model reload, OpenAPI document and the WebUI.</summary>
    public static WebApplication MapSpeechApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapSpeechEndpoint();
        app.MapVoicesEndpoint();
        app.MapHealthEndpoints();
        app.MapModelsAdminEndpoints();
        app.MapWebUi();
        return app;
    }
}

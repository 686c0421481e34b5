using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
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
            MaxInputChars = Settings.PositiveInt(builder.Configuration, "TTS_MAX_INPUT_CHARS", 4096),
        };
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton<VoiceResolver>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = false);
        return builder;
    }

    /// <summary>Maps the speech API, voices, health probes, OpenAPI document and the WebUI.</summary>
    public static WebApplication MapSpeechApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapOpenApi();
        app.MapSpeechEndpoint();
        app.MapVoicesEndpoint();
        app.MapHealthEndpoints();
        app.MapWebUi();
        return app;
    }
}

/// <summary>Reads TTS_* settings with errors that name the setting and what it accepts.</summary>
public static class Settings
{
    public static int PositiveInt(IConfiguration config, string key, int fallback, int min = 1)
    {
        var raw = config[key];
        if (string.IsNullOrWhiteSpace(raw)) return fallback;
        if (int.TryParse(raw, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= min) return v;
        throw new InvalidOperationException($"Setting {key}='{raw}' is invalid: it must be a whole number ≥ {min}.");
    }
}

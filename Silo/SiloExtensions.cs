using Microsoft.AspNetCore.Server.Kestrel.Core;
using Orleans.Tts.Grains;
using Orleans.Tts.Grains.Cluster;

namespace Orleans.Tts.Silo;

public static class SiloExtensions
{
    /// <summary>
    /// The silo: text front ends, engines (eSpeak NG in isolated host processes; Piper and Kokoro models from
    /// TTS_MODELS_DIR) and the synthesis worker pool, listening on TTS_HOST:TTS_PORT (default 127.0.0.1:8080).
    /// </summary>
    public static WebApplicationBuilder AddSiloServices(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var address = builder.ListenOnConfiguredAddress();
        var workers = Setting.PositiveInt(config, "TTS_WORKERS", Environment.ProcessorCount);
        builder.Services
            .AddTextFrontEnds()
            .AddEspeakEngine(config, defaultHosts: workers)
            .AddOnnxVoices(config, workers)
            .AddSynthesisWorkers(config, workers)
            .AddClusterServices(config, capacity: workers, address);
        return builder;
    }

    private static string ListenOnConfiguredAddress(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var host = config["TTS_HOST"] is { Length: > 0 } h ? h : "127.0.0.1";
        var port = Setting.PositiveInt(config, "TTS_PORT", 8080, max: 65535);
        if (config["ASPNETCORE_URLS"] is null && config["urls"] is null) builder.WebHost.UseUrls($"http://{host}:{port}");

        builder.WebHost.ConfigureKestrel(k =>
        {
            // Slow or oversized clients cannot hold memory or connections for long.
            k.Limits.MaxRequestBodySize = 4 * 1024 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromSeconds(15);
            k.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024, gracePeriod: TimeSpan.FromSeconds(10));
            k.AddServerHeader = false;
        });
        return config["TTS_ADVERTISE_URL"] is { Length: > 0 } advertised ? advertised : $"http://{host}:{port}";
    }
}

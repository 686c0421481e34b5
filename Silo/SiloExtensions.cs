using Microsoft.AspNetCore.Server.Kestrel.Core;
using Orleans.Tts.Frontend;
using Orleans.Tts.Grains.Engines;
using Orleans.Tts.Grains.Engines.Espeak;
using Orleans.Tts.Grains.Text.Chinese;
using Orleans.Tts.Grains.Text.Japanese;
using Orleans.Tts.Grains.Workers;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Silo;

public static class SiloExtensions
{
    /// <summary>
    /// The silo: engines (eSpeak NG in isolated host processes) and the synthesis worker pool,
    /// listening on TTS_HOST:TTS_PORT (default 127.0.0.1:8080).
    /// </summary>
    public static WebApplicationBuilder AddSiloServices(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var host = config["TTS_HOST"] is { Length: > 0 } h ? h : "127.0.0.1";
        var port = Settings.PositiveInt(config, "TTS_PORT", 8080);
        if (port > 65535) throw new InvalidOperationException($"Setting TTS_PORT='{port}' is invalid: it must be a TCP port from 1 to 65535.");
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

        var cores = Environment.ProcessorCount;
        var workers = Settings.PositiveInt(config, "TTS_WORKERS", cores);
        builder.Services.AddSingleton(new WorkerPoolOptions
        {
            Parallelism = workers,
            QueueLimit = Settings.PositiveInt(config, "TTS_WORKER_QUEUE", 64, min: 0),
            MaxSentenceChars = Settings.PositiveInt(config, "TTS_MAX_SENTENCE_CHARS", 300, min: 40),
        });
        builder.Services.AddSingleton(new EspeakEngineOptions
        {
            Hosts = Settings.PositiveInt(config, "TTS_ESPEAK_HOSTS", workers),
            HostPath = config["TTS_ENGINE_HOST"] is { Length: > 0 } p ? p : null,
        });

        builder.Services.AddSingleton(_ => MandarinFrontEnd.LoadDefault());
        builder.Services.AddSingleton<IKanaConverter>(_ => MecabKanaConverter.Create());
        builder.Services.AddSingleton(sp => new EspeakTextFrontEnd(
            sp.GetRequiredService<MandarinFrontEnd>().ToPinyin,
            sp.GetRequiredService<IKanaConverter>().ToKana));
        builder.Services.AddSingleton<EspeakEngine>();
        builder.Services.AddSingleton<ITtsEngine>(sp => sp.GetRequiredService<EspeakEngine>());

        builder.Services.AddSingleton<SynthesisWorkerPool>();
        builder.Services.AddSingleton<ISynthesisWorker>(sp => sp.GetRequiredService<SynthesisWorkerPool>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<SynthesisWorkerPool>());
        return builder;
    }
}

using Microsoft.AspNetCore.Server.Kestrel.Core;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Grains.Jobs;
using Orleans.Tts.Grains.Synthesis;
using Orleans.Tts.Speech;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Synthesis.Workers;

namespace Orleans.Tts.Silo;

public static class SiloExtensions
{
    /// <summary>
    /// The silo: an Orleans silo (<see cref="OrleansHosting.AddOrleansSilo"/>) with text front ends, engines (eSpeak NG in
    /// isolated host processes; Piper and Kokoro models from TTS_MODELS_DIR) and the synthesis worker pool behind its synthesis
    /// grain, co-hosting the public API on TTS_HOST:TTS_PORT (default 127.0.0.1:8080).
    /// </summary>
    public static WebApplicationBuilder AddSiloServices(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        builder.ListenOnConfiguredAddress();
        var workers = Setting.PositiveInt(config, "TTS_WORKERS", Environment.ProcessorCount);
        builder.Services
            .AddTextFrontEnds(CacheDirectory(config))
            .AddEspeakEngine(config, defaultHosts: workers)
            .AddOnnxVoices(config, workers)
            .AddSynthesisWorkers(config, workers);
        // After the worker pool: hosted services start in order, so the silo joins the cluster once its engines are loaded.
        builder.AddOrleansSilo();
        builder.Services
            .AddClusterServices(config, capacity: workers)
            .AddSentenceSpreading(config)
            .AddSpeechPipeline(config)
            .AddJobUnitRunner()
            .AddHostedService<ModelReloadSubscriber>() // after the silo: it subscribes through the cluster's stream provider
            .AddHostedService<ShutdownDeadline>();
        return builder;
    }

    /// <summary>
    /// A process with the public API and no engines (<c>--role frontend</c> or <c>TTS_ROLE=frontend</c>): an Orleans client of
    /// the silos in TTS_REDIS that plans each synthesis and sends every sentence to a lightly loaded silo's synthesis grain.
    /// </summary>
    public static WebApplicationBuilder AddFrontendTier(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        builder.ListenOnConfiguredAddress();
        builder.AddOrleansClient();
        builder.Services
            .AddSingleton<GatewayConnections>()
            .AddSingleton<IClusterConnectionStatusObserver>(sp => sp.GetRequiredService<GatewayConnections>())
            .AddHostedService<ShutdownDeadline>()
            .AddClusterServices(config, capacity: 0)
            .AddSynthesisPlanner(config)
            .AddSingleton(SpreadOptionsFrom(config))
            .AddSingleton<ClusterSynthesisWorker>()
            .AddSingleton<ISynthesisWorker>(sp => sp.GetRequiredService<ClusterSynthesisWorker>());
        return builder;
    }

    /// <summary>
    /// A silo's requests of several sentences spread over the cluster's silos (<see cref="SiloSynthesisWorker"/>); the pool stays
    /// the worker of everything else (its grain, jobs, readiness). TTS_SPREAD=false keeps every request on the silo it reached.
    /// </summary>
    private static IServiceCollection AddSentenceSpreading(this IServiceCollection services, IConfiguration config)
    {
        if (!Setting.Flag(config, "TTS_SPREAD", true)) return services;
        services.AddSynthesisPlanner(config);
        services.AddSingleton(SpreadOptionsFrom(config));
        services.AddSingleton<ClusterSynthesisWorker>();
        // Replaces the pool as ISynthesisWorker for the speech pipeline; the grains and the job runner take the pool itself.
        services.AddSingleton<ISynthesisWorker>(sp => new SiloSynthesisWorker(sp.GetRequiredService<SynthesisWorkerPool>(),
            sp.GetRequiredService<ClusterSynthesisWorker>(), sp.GetRequiredService<Orleans.Tts.Cluster.ISiloDirectory>(), sp.GetRequiredService<ISynthesisPlanner>()));
        return services;
    }

    private static SpreadOptions SpreadOptionsFrom(IConfiguration config) => new(
        Attempts: Setting.PositiveInt(config, "TTS_FRONTEND_ATTEMPTS", 4),
        AvoidUnreachable: TimeSpan.FromSeconds(Setting.PositiveInt(config, "TTS_FRONTEND_AVOID_SECONDS", 10, max: 3600)),
        VoicesRefresh: TimeSpan.FromSeconds(Setting.PositiveInt(config, "TTS_FRONTEND_VOICES_REFRESH_SECONDS", 10, max: 3600)),
        RequestLanes: config["TTS_FRONTEND_REQUEST_LANES"] is { Length: > 0 } ? Setting.PositiveInt(config, "TTS_FRONTEND_REQUEST_LANES", 2, max: 256) : null);

    /// <summary>
    /// ASP.NET Core's own logs at Warning unless a level is configured (<c>Logging__LogLevel__Default</c> or
    /// <c>Logging__LogLevel__Microsoft.AspNetCore</c>): at .NET's default, Information, they are five console entries per
    /// request (request starting and finished, endpoint executing and executed, the result), a cost on every synthesis
    /// of a busy silo. Polly's at Warning in any case: Orleans' placement runs through a resilience pipeline that logs two
    /// Information entries per grain placed. Defaults, not overrides: they sit below every other configuration source.
    /// </summary>
    public static WebApplicationBuilder UseQuietRequestLogging(this WebApplicationBuilder builder)
    {
        var defaults = new List<KeyValuePair<string, string?>> { new("Logging:LogLevel:Polly", "Warning") };
        if (builder.Configuration["Logging:LogLevel:Default"] is null) defaults.Add(new("Logging:LogLevel:Microsoft.AspNetCore", "Warning"));
        builder.Configuration.Sources.Insert(0, new Microsoft.Extensions.Configuration.Memory.MemoryConfigurationSource { InitialData = defaults });
        return builder;
    }

    /// <summary>Where derived start-up data is kept between starts: TTS_CACHE_DIR, else ~/.cache/orleans-tts (null without a home).</summary>
    public static string? CacheDirectory(IConfiguration config) =>
        config["TTS_CACHE_DIR"] is { Length: > 0 } dir ? dir
        : Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) is { Length: > 0 } home ? Path.Combine(home, ".cache", "orleans-tts")
        : null;

    /// <summary><c>frontend</c> or <c>silo</c> (the default: engines plus the public API), from <c>--role</c> or <c>TTS_ROLE</c>.</summary>
    public static string Role(this WebApplicationBuilder builder)
    {
        var role = (builder.Configuration["role"] ?? builder.Configuration["TTS_ROLE"] ?? "silo").Trim().ToLowerInvariant();
        return role is "silo" or "frontend"
            ? role
            : throw new InvalidOperationException($"Unknown role '{role}': use --role silo (engines and the API, the default) or --role frontend (the API only, an Orleans client of the silos in TTS_REDIS).");
    }

    private static void ListenOnConfiguredAddress(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var host = config["TTS_HOST"] is { Length: > 0 } h ? h : "127.0.0.1";
        var port = Setting.PositiveInt(config, "TTS_PORT", 8080, max: 65535);
        if (config["ASPNETCORE_URLS"] is null && config["urls"] is null) builder.WebHost.UseUrls($"http://{host}:{port}");

        builder.WebHost.ConfigureKestrel(k =>
        {
            // Slow or oversized clients cannot hold memory or connections for long (README "Threat model").
            k.Limits.MaxRequestBodySize = 4 * 1024 * 1024;
            k.Limits.MaxRequestHeadersTotalSize = 32 * 1024;
            k.Limits.MaxRequestHeaderCount = 64;
            k.Limits.MaxRequestLineSize = 8 * 1024;
            k.Limits.RequestHeadersTimeout = TimeSpan.FromMilliseconds(Setting.PositiveInt(config, "TTS_REQUEST_HEADERS_TIMEOUT_MS", 15_000, min: 100));
            k.Limits.MinRequestBodyDataRate = new MinDataRate(bytesPerSecond: 1024,
                gracePeriod: TimeSpan.FromMilliseconds(Setting.PositiveInt(config, "TTS_MIN_BODY_RATE_GRACE_MS", 10_000, min: 1001)));
            k.Limits.KeepAliveTimeout = TimeSpan.FromSeconds(60);
            k.Limits.MaxConcurrentConnections = Setting.PositiveInt(config, "TTS_MAX_CONNECTIONS", 4096);
            k.Limits.Http2.MaxStreamsPerConnection = 100;
            k.Limits.Http2.MaxRequestHeaderFieldSize = 16 * 1024;
            k.AddServerHeader = false;
        });
    }
}

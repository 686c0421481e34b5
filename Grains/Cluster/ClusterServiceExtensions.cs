using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Tts.Admission;
using Orleans.Tts.Caching;
using Orleans.Tts.Cluster;
using Orleans.Tts.Grains.Admission;
using Orleans.Tts.Grains.Caching;
using Orleans.Tts.Grains.Jobs;
using Orleans.Tts.Grains.Speakers;
using Orleans.Tts.Synthesis.Speakers;
using Orleans.Tts.Speakers;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Cluster;

public static class ClusterServiceExtensions
{
    /// <summary>
    /// Membership, admission, result cache, speakers and jobs. With <c>TTS_POSTGRES</c> set they share state
    /// through PostgreSQL; without it they are the in-memory embedded default (this silo is the cluster).
    /// </summary>
    public static IServiceCollection AddClusterServices(this IServiceCollection services, IConfiguration config, int capacity, string address)
    {
        var cluster = new ClusterOptions
        {
            Self = new SiloIdentity(
                config["TTS_SILO_ID"] is { Length: > 0 } id ? id : $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("n")[..6]}",
                address,
                typeof(ClusterServiceExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0",
                capacity),
            HeartbeatInterval = TimeSpan.FromMilliseconds(Setting.PositiveInt(config, "TTS_HEARTBEAT_MS", 2000, min: 50)),
            DeadAfter = TimeSpan.FromSeconds(Setting.PositiveInt(config, "TTS_DEAD_SILO_SECONDS", 10)),
            DrainTimeout = TimeSpan.FromSeconds(Setting.PositiveInt(config, "TTS_DRAIN_SECONDS", 30, min: 0)),
            InternalAddress = InternalAddress(config, capacity),
        };
        var workerQueue = Setting.PositiveInt(config, "TTS_WORKER_QUEUE", 64, min: 0);
        var admission = new AdmissionOptions
        {
            GlobalMaxInflight = config["TTS_GLOBAL_MAX_INFLIGHT"] is { Length: > 0 } ? Setting.PositiveInt(config, "TTS_GLOBAL_MAX_INFLIGHT", 1) : null,
            LocalCapacity = capacity,
            ClientMaxShare = Setting.Fraction(config, "TTS_CLIENT_MAX_SHARE", 0.5),
            DefaultWait = TimeSpan.FromMilliseconds(Setting.PositiveInt(config, "TTS_ADMISSION_WAIT_MS", 2000, min: 0)),
            MaxWait = TimeSpan.FromMilliseconds(Setting.PositiveInt(config, "TTS_ADMISSION_MAX_WAIT_MS", 30000, min: 0)),
            QueueLimit = Setting.PositiveInt(config, "TTS_ADMISSION_QUEUE", workerQueue, min: 0),
            LongTextChars = Setting.PositiveInt(config, "TTS_LONG_TEXT_CHARS", 1000),
            DegradeQueueThreshold = Setting.PositiveInt(config, "TTS_DEGRADE_QUEUE", 4),
            DeadlineCoversService = DeadlineCoversService(config),
        };
        var cache = new CacheOptions
        {
            MemoryBytes = Setting.PositiveInt(config, "TTS_CACHE_MEMORY_MB", 64, min: 0) * (1L << 20),
            SharedBytes = Setting.PositiveInt(config, "TTS_CACHE_PG_MB", 512, min: 0) * (1L << 20),
            Ttl = TimeSpan.FromSeconds(Setting.PositiveInt(config, "TTS_CACHE_TTL_SECONDS", 86400)),
        };
        services.AddSingleton(cluster).AddSingleton(admission).AddSingleton(cache);
        services.AddSingleton<ClusterLoad>();
        services.AddSingleton<SiloActivity>();
        services.AddSingleton<ISiloActivity>(sp => sp.GetRequiredService<SiloActivity>());
        services.AddSingleton<ISpeakerEmbeddingProvider, VoiceParameterEmbeddingProvider>();
        services.AddSingleton<SpeakerEmbeddings>();
        services.AddSingleton(TimeProvider.System);

        if (config["TTS_POSTGRES"] is { Length: > 0 } connectionString)
        {
            services.AddLogging(b => b.AddFilter("Npgsql", LogLevel.Warning));
            services.AddSingleton(sp =>
            {
                var builder = new NpgsqlDataSourceBuilder(connectionString);
                builder.UseLoggerFactory(sp.GetRequiredService<ILoggerFactory>());
                builder.ConnectionStringBuilder.ApplicationName ??= $"orleans-tts {cluster.Self.Id}";
                return builder.Build();
            });
            services.AddSingleton<PostgresStore>();
            services.AddSingleton<PostgresNotifications>();
            services.AddSingleton<PostgresAdmissionGrain>();
            services.AddSingleton<IAdmissionGrain>(sp => sp.GetRequiredService<PostgresAdmissionGrain>());
            services.AddSingleton<PostgresMembership>();
            services.AddSingleton<IClusterMembership>(sp => sp.GetRequiredService<PostgresMembership>());
            services.AddSingleton<IMembershipLifecycle>(sp => sp.GetRequiredService<PostgresMembership>());
            services.AddSingleton<IResultCache, PostgresResultCache>();
            services.AddSingleton<ISpeakerDirectory, PostgresSpeakerDirectory>();
            // Membership first: it connects, migrates and registers before requests are served.
            services.AddHostedService(sp => sp.GetRequiredService<PostgresMembership>());
            services.AddHostedService(sp => sp.GetRequiredService<PostgresNotifications>());
        }
        else
        {
            services.AddSingleton<IAdmissionGrain>(sp => new InMemoryAdmissionGrain(admission, sp.GetRequiredService<ClusterLoad>(), metrics: sp.GetService<TtsMetrics>()));
            services.AddSingleton<InMemoryMembership>();
            services.AddSingleton<IClusterMembership>(sp => sp.GetRequiredService<InMemoryMembership>());
            services.AddSingleton<IMembershipLifecycle>(sp => sp.GetRequiredService<InMemoryMembership>());
            services.AddSingleton<IResultCache>(sp => new InMemoryResultCache(cache, sp.GetService<TtsMetrics>()));
            services.AddSingleton<ISpeakerDirectory, InMemorySpeakerDirectory>();
        }
        services.AddJobStore(config, capacity, durable: config["TTS_POSTGRES"] is { Length: > 0 });
        services.AddHostedService<DrainService>();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = cluster.DrainTimeout + TimeSpan.FromSeconds(10));
        return services;
    }

    /// <summary>The h2c address frontends reach this silo at: TTS_INTERNAL_ADVERTISE_URL, else TTS_HOST:TTS_INTERNAL_PORT; null without a port or capacity.</summary>
    public static string? InternalAddress(IConfiguration config, int capacity)
    {
        if (capacity <= 0 || config["TTS_INTERNAL_PORT"] is not { Length: > 0 }) return null;
        if (config["TTS_INTERNAL_ADVERTISE_URL"] is { Length: > 0 } advertised) return advertised;
        var host = config["TTS_HOST"] is { Length: > 0 } h && h != "0.0.0.0" ? h : "127.0.0.1";
        return $"http://{host}:{Setting.PositiveInt(config, "TTS_INTERNAL_PORT", 1, max: 65535)}";
    }

    /// <summary>Live silos read from the PostgreSQL membership table, for a frontend (TTS_SILOS_REFRESH_MS).</summary>
    public static IServiceCollection AddSiloDirectory(this IServiceCollection services, IConfiguration config)
    {
        services.AddSingleton(new SiloDirectoryOptions(TimeSpan.FromMilliseconds(Setting.PositiveInt(config, "TTS_SILOS_REFRESH_MS", 1000, min: 50))));
        services.AddSingleton<PostgresSiloDirectory>();
        services.AddSingleton<ISiloDirectory>(sp => sp.GetRequiredService<PostgresSiloDirectory>());
        services.AddHostedService(sp => sp.GetRequiredService<PostgresSiloDirectory>());
        return services;
    }

    /// <summary>TTS_ADMISSION_DEADLINE: <c>finish</c> (default) — admitted requests are expected to finish by their deadline; <c>start</c> — only to start by it.</summary>
    private static bool DeadlineCoversService(IConfiguration config) => config["TTS_ADMISSION_DEADLINE"]?.Trim().ToLowerInvariant() switch
    {
        null or "" or "finish" => true,
        "start" => false,
        var raw => throw new InvalidOperationException($"Setting TTS_ADMISSION_DEADLINE='{raw}' is invalid: it must be 'finish' (an admitted request is expected to finish within its wait) or 'start' (the wait bounds only the queue)."),
    };
}

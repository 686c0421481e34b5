using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Admission;
using Orleans.Tts.Caching;
using Orleans.Tts.Cluster;
using Orleans.Tts.Grains.Admission;
using Orleans.Tts.Grains.Caching;
using Orleans.Tts.Grains.Jobs;
using Orleans.Tts.Grains.Speakers;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Cluster;

public static class ClusterServiceExtensions
{
    /// <summary>
    /// Admission, membership view, result cache, speakers and jobs of a process in the Orleans cluster: a silo (with
    /// <paramref name="capacity"/> synthesis workers) or a frontend (capacity 0, an Orleans client). Permits come from the
    /// cluster's <see cref="IAdmissionGrain"/>. Speakers and jobs are grains (job audio in Redis with TTS_REDIS). The result cache is
    /// shared through Redis (<see cref="ResultCacheServiceExtensions.AddResultCache"/>), else kept in this process.
    /// </summary>
    public static IServiceCollection AddClusterServices(this IServiceCollection services, IConfiguration config, int capacity)
    {
        var cluster = new TtsClusterOptions
        {
            Self = new SiloIdentity(
                config["TTS_SILO_ID"] is { Length: > 0 } id ? id : $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("n")[..6]}",
                $"http://{(config["TTS_HOST"] is { Length: > 0 } h ? h : "127.0.0.1")}:{Setting.PositiveInt(config, "TTS_PORT", 8080, max: 65535)}",
                typeof(ClusterServiceExtensions).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "0",
                capacity),
            DrainTimeout = TimeSpan.FromSeconds(Setting.PositiveInt(config, "TTS_DRAIN_SECONDS", 30, min: 0)),
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
            LeaseLinger = TimeSpan.FromMilliseconds(Setting.PositiveInt(config, "TTS_ADMISSION_LINGER_MS", 250, min: 0, max: 10000)),
            GrainAnswerTimeout = TimeSpan.FromMilliseconds(Setting.PositiveInt(config, "TTS_ADMISSION_GRAIN_TIMEOUT_MS", 1000, min: 100, max: 60000)),
        };
        services.AddSingleton(cluster).AddSingleton(admission);
        services.AddSingleton<ClusterLoad>();
        services.AddSingleton<SiloActivity>();
        services.AddSingleton<ISiloActivity>(sp => sp.GetRequiredService<SiloActivity>());
        services.AddSpeakers(Setting.PositiveInt(config, "TTS_SPEAKER_CACHE_MB", 32, max: 4096) * (1L << 20));
        services.AddSingleton(TimeProvider.System);

        // A silo holds permits under its Orleans address (returned when Orleans declares it dead); a frontend under its id.
        services.AddSingleton(sp => capacity > 0 && sp.GetService<Orleans.Runtime.ILocalSiloDetails>() is { } silo
            ? new AdmissionHolder(silo.SiloAddress.ToParsableString(), isSilo: true, capacity)
            : new AdmissionHolder($"frontend:{cluster.Self.Id}", isSilo: false, 0));
        services.AddSingleton<ClusterAdmission>();
        services.AddSingleton<IAdmission>(sp => sp.GetRequiredService<ClusterAdmission>());
        services.AddHostedService<AdmissionReporter>();
        services.AddSingleton(new SiloDirectoryOptions(TimeSpan.FromMilliseconds(Setting.PositiveInt(config, "TTS_SILOS_REFRESH_MS", 1000, min: 50))));
        services.AddSingleton<OrleansSiloDirectory>();
        services.AddSingleton<ISiloDirectory>(sp => sp.GetRequiredService<OrleansSiloDirectory>());
        services.AddHostedService(sp => sp.GetRequiredService<OrleansSiloDirectory>());
        var mode = config["TTS_REDIS"] is { Length: > 0 } ? "redis" : "embedded";

        services.AddSingleton<IClusterMembership>(sp => new OrleansMembership(sp.GetRequiredService<IGrainFactory>(), sp.GetRequiredService<ISiloDirectory>(), cluster,
            mode, SelfAddress(sp)));
        services.AddResultCache(config);
        services.AddSingleton<Orleans.Tts.Models.IClusterModelReloads, Synthesis.ClusterModelReloads>();
        services.AddJobs(config, capacity);
        services.AddHostedService<DrainService>();
        services.Configure<HostOptions>(o => o.ShutdownTimeout = cluster.DrainTimeout + TimeSpan.FromSeconds(10));
        return services;
    }

    private static string? SelfAddress(IServiceProvider services) => services.GetService<Orleans.Runtime.ILocalSiloDetails>()?.SiloAddress.ToParsableString();

    /// <summary>TTS_ADMISSION_DEADLINE: <c>finish</c> (default) — admitted requests are expected to finish by their deadline; <c>start</c> — only to start by it.</summary>
    private static bool DeadlineCoversService(IConfiguration config) => config["TTS_ADMISSION_DEADLINE"]?.Trim().ToLowerInvariant() switch
    {
        null or "" or "finish" => true,
        "start" => false,
        var raw => throw new InvalidOperationException($"Setting TTS_ADMISSION_DEADLINE='{raw}' is invalid: it must be 'finish' (an admitted request is expected to finish within its wait) or 'start' (the wait bounds only the queue)."),
    };
}

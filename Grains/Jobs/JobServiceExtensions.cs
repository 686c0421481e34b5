using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Jobs;
using StackExchange.Redis;

namespace Orleans.Tts.Grains.Jobs;

public static class JobServiceExtensions
{
    /// <summary>
    /// Jobs in every process: the grain-backed store the REST API uses, the job audio store (Redis with TTS_REDIS, else this
    /// process's memory) and the maintenance that wakes jobs and sweeps results.
    /// TTS_MAX_JOB_CHARS, TTS_JOB_TTL_SECONDS, TTS_MAX_QUEUED_JOBS, TTS_JOB_UNIT_SENTENCES, TTS_JOB_MAX_WORKERS, TTS_JOB_POLL_MS,
    /// TTS_JOB_STORAGE_MAX_BYTES, TTS_JOB_STORAGE_CLIENT_SHARE.
    /// </summary>
    public static IServiceCollection AddJobs(this IServiceCollection services, IConfiguration config, int workers)
    {
        var redis = RedisSettings.Parse(config, "TTS_REDIS", "job audio");
        var options = new JobOptions
        {
            MaxChars = Setting.PositiveInt(config, "TTS_MAX_JOB_CHARS", 200_000),
            Ttl = TimeSpan.FromSeconds(Setting.PositiveInt(config, "TTS_JOB_TTL_SECONDS", 86_400)),
            MaxQueuedJobs = Setting.PositiveInt(config, "TTS_MAX_QUEUED_JOBS", 1000),
            UnitSentences = Setting.PositiveInt(config, "TTS_JOB_UNIT_SENTENCES", 4, max: 100),
            MaxWorkers = Setting.PositiveInt(config, "TTS_JOB_MAX_WORKERS", Math.Max(1, workers / 2), max: Math.Max(1, workers)),
            PollInterval = TimeSpan.FromMilliseconds(Setting.PositiveInt(config, "TTS_JOB_POLL_MS", 1000, min: 50)),
            StorageMaxBytes = Setting.PositiveLong(config, "TTS_JOB_STORAGE_MAX_BYTES", redis is not null ? JobOptions.ClusterStorageMaxBytes : JobOptions.EmbeddedStorageMaxBytes),
            StorageClientShare = Setting.Fraction(config, "TTS_JOB_STORAGE_CLIENT_SHARE", 0.5),
        };
        services.AddSingleton(options);
        services.AddSingleton<JobUsage>();
        services.AddSingleton(new JobPlanner(options, Orleans.Tts.Synthesis.SynthesisServiceExtensions.MaxSentenceChars(config)));
        if (redis is not null)
        {
            services.AddSingleton(new JobAudioRedis(redis));
            services.AddSingleton<IJobAudioStore, RedisJobAudioStore>();
        }
        else services.AddSingleton<IJobAudioStore, InMemoryJobAudioStore>();
        services.AddSingleton<GrainJobStore>();
        services.AddSingleton<IJobStore>(sp => sp.GetRequiredService<GrainJobStore>());
        services.AddHostedService<JobMaintenance>();
        return services;
    }

    /// <summary>Runs job units sent to this silo's synthesis grain (silos only; a frontend has no workers).</summary>
    public static IServiceCollection AddJobUnitRunner(this IServiceCollection services)
    {
        services.AddSingleton(sp => new BackgroundCpu(sp.GetRequiredService<JobOptions>().MaxWorkers, sp.GetRequiredService<ILogger<BackgroundCpu>>()));
        services.AddSingleton<JobUnitRunner>();
        return services;
    }
}

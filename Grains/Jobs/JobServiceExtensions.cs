using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Jobs;

namespace Orleans.Tts.Grains.Jobs;

public static class JobServiceExtensions
{
    /// <summary>
    /// The job store of every process (PostgreSQL when <paramref name="durable"/>, else in memory) and its maintenance.
    /// TTS_MAX_JOB_CHARS, TTS_JOB_TTL_SECONDS, TTS_MAX_QUEUED_JOBS, TTS_JOB_UNIT_SENTENCES, TTS_JOB_MAX_WORKERS, TTS_JOB_LEASE_SECONDS,
    /// TTS_JOB_STORAGE_MAX_BYTES, TTS_JOB_STORAGE_CLIENT_SHARE.
    /// </summary>
    public static IServiceCollection AddJobStore(this IServiceCollection services, IConfiguration config, int workers, bool durable)
    {
        var options = new JobOptions
        {
            MaxChars = Setting.PositiveInt(config, "TTS_MAX_JOB_CHARS", 200_000),
            Ttl = TimeSpan.FromSeconds(Setting.PositiveInt(config, "TTS_JOB_TTL_SECONDS", 86_400)),
            MaxQueuedJobs = Setting.PositiveInt(config, "TTS_MAX_QUEUED_JOBS", 1000),
            UnitSentences = Setting.PositiveInt(config, "TTS_JOB_UNIT_SENTENCES", 4, max: 100),
            MaxWorkers = Setting.PositiveInt(config, "TTS_JOB_MAX_WORKERS", Math.Max(1, workers / 2), max: Math.Max(1, workers)),
            Lease = TimeSpan.FromSeconds(Setting.PositiveInt(config, "TTS_JOB_LEASE_SECONDS", 30, min: 3)),
            PollInterval = TimeSpan.FromMilliseconds(Setting.PositiveInt(config, "TTS_JOB_POLL_MS", 1000, min: 50)),
            StorageMaxBytes = Setting.PositiveLong(config, "TTS_JOB_STORAGE_MAX_BYTES", durable ? JobOptions.ClusterStorageMaxBytes : JobOptions.EmbeddedStorageMaxBytes),
            StorageClientShare = Setting.Fraction(config, "TTS_JOB_STORAGE_CLIENT_SHARE", 0.5),
        };
        services.AddSingleton(options);
        services.AddSingleton<JobUsage>();
        services.AddSingleton(new JobPlanner(options, Setting.PositiveInt(config, "TTS_MAX_SENTENCE_CHARS", 300, min: 40)));
        if (durable) services.AddSingleton<PostgresJobStore>();
        else services.AddSingleton(sp => new InMemoryJobStore(options, sp.GetRequiredService<JobPlanner>(), TimeProvider.System));
        services.AddSingleton<IJobStore>(sp => durable ? sp.GetRequiredService<PostgresJobStore>() : sp.GetRequiredService<InMemoryJobStore>());
        services.AddSingleton<IJobQueue>(sp => durable ? sp.GetRequiredService<PostgresJobStore>() : sp.GetRequiredService<InMemoryJobStore>());
        services.AddHostedService<JobMaintenance>();
        return services;
    }

    /// <summary>Runs job units on this silo's workers (silos only; a frontend has none).</summary>
    public static IServiceCollection AddJobRunner(this IServiceCollection services)
    {
        services.AddHostedService<JobRunner>();
        return services;
    }
}

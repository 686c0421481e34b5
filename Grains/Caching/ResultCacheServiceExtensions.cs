using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Tts.Caching;
using Orleans.Tts.Cluster;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Telemetry;
using StackExchange.Redis;

namespace Orleans.Tts.Grains.Caching;

public static class ResultCacheServiceExtensions
{
    /// <summary>
    /// Timeouts of the cache's Redis connection unless TTS_REDIS_CACHE sets its own: a Redis that stopped answering costs a
    /// request at most this much before it is served without the shared cache (one that is down costs nothing: the connection
    /// is known to be down). A 1 MB result on a loopback Redis takes a few milliseconds.
    /// </summary>
    private const string Defaults = "connectTimeout=2000,asyncTimeout=1000,syncTimeout=1000,connectRetry=1";

    /// <summary>
    /// The result cache (<see cref="IResultCache"/>): <c>TTS_CACHE_MEMORY_MB</c> (64; 0 keeps nothing in memory) of this process's
    /// memory in front of Redis — <c>TTS_REDIS_CACHE</c>, by default the cluster's <c>TTS_REDIS</c> — whose entries live
    /// <c>TTS_CACHE_TTL_SECONDS</c> (86400). Without either Redis setting the process's memory is the only cache.
    /// </summary>
    public static IServiceCollection AddResultCache(this IServiceCollection services, IConfiguration config)
    {
        var cache = new CacheOptions
        {
            MemoryBytes = Setting.PositiveInt(config, "TTS_CACHE_MEMORY_MB", 64, min: 0) * (1L << 20),
            Ttl = TimeSpan.FromSeconds(Setting.PositiveInt(config, "TTS_CACHE_TTL_SECONDS", 86400)),
        };
        services.AddSingleton(cache);
        var redis = RedisOptions(config);
        if (redis is null)
        {
            services.AddSingleton<IResultCache>(sp => new ResultCache(cache, metrics: sp.GetService<TtsMetrics>()));
            return services;
        }
        services.AddSingleton(sp => new RedisResultStore(redis, sp.GetRequiredService<IOptions<ClusterOptions>>(), cache, sp.GetRequiredService<ILogger<RedisResultStore>>()));
        services.AddHostedService(sp => sp.GetRequiredService<RedisResultStore>());
        services.AddSingleton(sp => new ResultCache(cache, sp.GetRequiredService<RedisResultStore>(), sp.GetRequiredService<IGrainFactory>(), sp.GetService<ISiloActivity>(),
            sp.GetService<ILocalSiloDetails>()?.SiloAddress, sp.GetService<TtsMetrics>(), sp.GetRequiredService<ILogger<ResultCache>>()));
        services.AddSingleton<IResultCache>(sp => sp.GetRequiredService<ResultCache>());
        return services;
    }

    /// <summary>TTS_REDIS_CACHE, else TTS_REDIS, as StackExchange.Redis options; null when neither is set. A bad string stops the start.</summary>
    internal static ConfigurationOptions? RedisOptions(IConfiguration config)
    {
        var name = config["TTS_REDIS_CACHE"] is { Length: > 0 } ? "TTS_REDIS_CACHE" : "TTS_REDIS";
        // Later tokens win: the operator's own timeouts replace these defaults.
        if (RedisSettings.Parse(config, name, "the result cache", Defaults) is not { } options) return null;
        // While disconnected, fail at once instead of queueing commands until they time out: the request is served without Redis.
        options.BacklogPolicy = BacklogPolicy.FailFast;
        return options;
    }
}

using StackExchange.Redis;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>What a cluster's result cache holds in Redis (its keys are <c>tts:{serviceId}:result:{key}</c>), read straight from the server.</summary>
public sealed class RedisCacheProbe(string connectionString, string serviceId) : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect($"{connectionString},allowAdmin=true");

    public string Pattern => $"tts:{serviceId}:result:*";

    public IServer Server => _redis.GetServers()[0];

    public IDatabase Database => _redis.GetDatabase();

    public RedisKey[] Keys() => Server.Keys(pattern: Pattern).ToArray();

    public string Key(string cacheKey) => $"tts:{serviceId}:result:{cacheKey}";

    /// <summary>A field of <c>INFO</c> (e.g. <c>evicted_keys</c>, <c>used_memory</c>).</summary>
    public async Task<long> InfoAsync(string field)
    {
        foreach (var group in await Server.InfoAsync())
            foreach (var pair in group)
                if (pair.Key == field) return long.Parse(pair.Value, System.Globalization.CultureInfo.InvariantCulture);
        throw new InvalidOperationException($"INFO has no {field}");
    }

    public ValueTask DisposeAsync() => _redis.DisposeAsync();
}

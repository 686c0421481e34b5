using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Tts.Cluster;
using StackExchange.Redis;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// Where finished job units' audio lives (encoded by <see cref="JobAudioCodec"/>): written by the silo that synthesised the
/// unit, read back one unit at a time by whichever process serves the download. Writing a unit twice (a unit re-run after its
/// job's silo died) stores the same bytes under the same key, so a result never holds a unit twice. A unit's words
/// (<see cref="JobUnitWords"/>), when the job records them, are stored with its audio and expire and go with it.
/// </summary>
public interface IJobAudioStore
{
    /// <summary>True when the audio outlives this process (Redis).</summary>
    bool Durable { get; }

    /// <summary>Stores one unit (and its encoded words, if any); the job's audio expires at <paramref name="expiresAt"/> unless changed by <see cref="ExpireAsync"/>.</summary>
    Task WriteUnitAsync(string jobId, int index, byte[] encoded, byte[]? words, DateTimeOffset expiresAt);

    /// <summary>Null when the unit is not (or no longer) stored.</summary>
    Task<byte[]?> ReadUnitAsync(string jobId, int index);

    /// <summary>The encoded words of units 0 to <paramref name="units"/> − 1 in one read; an element is null when that unit has none or is not (or no longer) stored.</summary>
    Task<byte[]?[]> ReadWordsAsync(string jobId, int units);

    /// <summary>Moves the expiry of the job's whole audio (its result's TTL once it succeeded).</summary>
    Task ExpireAsync(string jobId, DateTimeOffset expiresAt);

    Task DeleteAsync(string jobId);
}

/// <summary>
/// Job audio in Redis: one hash per job (field = unit index; a unit's words under <c>w</c> + its index) under the Orleans ServiceId, so clusters sharing a Redis never
/// meet, with a TTL on the key so a result disappears by itself even if no silo sweeps it. Redis errors surface as
/// <see cref="StorageUnavailableException"/>: the unit is tried again when Redis is back.
/// </summary>
public sealed class RedisJobAudioStore(JobAudioRedis redis, IOptions<ClusterOptions> cluster) : IJobAudioStore
{
    public bool Durable => true;

    private RedisKey Key(string jobId) => $"{cluster.Value.ServiceId}:jobs:{jobId}:audio";

    public Task WriteUnitAsync(string jobId, int index, byte[] encoded, byte[]? words, DateTimeOffset expiresAt) => Guard(async db =>
    {
        var key = Key(jobId);
        var batch = db.CreateTransaction();
        _ = words is null
            ? batch.HashSetAsync(key, index, encoded)
            : batch.HashSetAsync(key, [new HashEntry(index, encoded), new HashEntry(WordsField(index), words)]);
        _ = batch.KeyExpireAsync(key, expiresAt.UtcDateTime);
        await batch.ExecuteAsync();
        return true;
    });

    public Task<byte[]?> ReadUnitAsync(string jobId, int index) => Guard(async db => (byte[]?)await db.HashGetAsync(Key(jobId), index));

    public Task<byte[]?[]> ReadWordsAsync(string jobId, int units) => Guard(async db =>
        Array.ConvertAll(await db.HashGetAsync(Key(jobId), Enumerable.Range(0, units).Select(WordsField).ToArray()), v => (byte[]?)v));

    private static RedisValue WordsField(int index) => $"w{index}";

    public Task ExpireAsync(string jobId, DateTimeOffset expiresAt) => Guard(db => db.KeyExpireAsync(Key(jobId), expiresAt.UtcDateTime));

    public Task DeleteAsync(string jobId) => Guard(db => db.KeyDeleteAsync(Key(jobId)));

    private async Task<T> Guard<T>(Func<IDatabase, Task<T>> action)
    {
        try { return await action((await redis.ConnectAsync()).GetDatabase()); }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            throw new StorageUnavailableException($"Redis (job audio) is unavailable: {e.Message}", e) { RetryAfter = TimeSpan.FromSeconds(1) };
        }
    }
}

/// <summary>The connection of the job audio store to TTS_REDIS, opened on first use and re-established by StackExchange.Redis.</summary>
public sealed class JobAudioRedis(ConfigurationOptions options) : IAsyncDisposable
{
    private readonly Lazy<Task<ConnectionMultiplexer>> _connection = new(() => ConnectionMultiplexer.ConnectAsync(options));

    public Task<ConnectionMultiplexer> ConnectAsync() => _connection.Value;

    public async ValueTask DisposeAsync()
    {
        if (_connection.IsValueCreated && _connection.Value.IsCompletedSuccessfully) await (await _connection.Value).DisposeAsync();
    }
}

/// <summary>Job audio of the embedded default: in this process (one silo serves every request), gone on restart.</summary>
public sealed class InMemoryJobAudioStore : IJobAudioStore
{
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<int, (byte[] Audio, byte[]? Words)>> _jobs = new(StringComparer.Ordinal);

    public bool Durable => false;

    public Task WriteUnitAsync(string jobId, int index, byte[] encoded, byte[]? words, DateTimeOffset expiresAt)
    {
        _jobs.GetOrAdd(jobId, _ => new())[index] = (encoded, words);
        return Task.CompletedTask;
    }

    public Task<byte[]?> ReadUnitAsync(string jobId, int index) =>
        Task.FromResult(_jobs.TryGetValue(jobId, out var units) && units.TryGetValue(index, out var unit) ? unit.Audio : null);

    public Task<byte[]?[]> ReadWordsAsync(string jobId, int units) =>
        Task.FromResult(Enumerable.Range(0, units)
            .Select(i => _jobs.TryGetValue(jobId, out var stored) && stored.TryGetValue(i, out var unit) ? unit.Words : null).ToArray());

    // Expiry is the job grains' sweep here (the index purges expired results).
    public Task ExpireAsync(string jobId, DateTimeOffset expiresAt) => Task.CompletedTask;

    public Task DeleteAsync(string jobId)
    {
        _jobs.TryRemove(jobId, out _);
        return Task.CompletedTask;
    }
}

using System.Buffers.Binary;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Tts.Caching;
using StackExchange.Redis;

namespace Orleans.Tts.Grains.Caching;

/// <summary>
/// The shared result cache: one Redis string per result (<c>tts:{serviceId}:result:{key}</c>, so clusters sharing a server never
/// meet), holding the content type, voice, audio seconds and the encoded file, read in one GET and written with the TTL. Redis
/// bounds its memory itself (maxmemory, allkeys-lru); nothing here trims. Every failure is "not cached": callers synthesise.
/// </summary>
public sealed class RedisResultStore(ConfigurationOptions redis, IOptions<ClusterOptions> cluster, CacheOptions options, ILogger<RedisResultStore> logger)
    : IHostedService, IAsyncDisposable
{
    private const byte Format = 1;
    private readonly string _prefix = $"tts:{cluster.Value.ServiceId}:result:";
    /// <summary>How long Redis is left alone after a command failed (a hung server is still "connected"): one request pays the timeout, not each.</summary>
    private static readonly TimeSpan Backoff = TimeSpan.FromSeconds(5);

    private ConnectionMultiplexer? _redis;
    private volatile string? _lastError;
    private long _skipUntil;

    /// <summary>Connected and not just failed: when not, callers skip Redis at once instead of waiting for a timeout.</summary>
    public bool Available => _redis is { IsConnected: true } && Environment.TickCount64 >= Interlocked.Read(ref _skipUntil);

    /// <summary>For <c>/ready</c>: where the cache is and whether it answers.</summary>
    public string Status => Available
        ? $"redis {Endpoints}: available"
        : $"redis {Endpoints}: unavailable ({_lastError ?? "not connected"})";

    private string Endpoints => string.Join(",", redis.EndPoints.Select(e => e.ToString()));

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        // AbortOnConnectFail is off: a Redis that is down at start leaves the cache degraded, and the multiplexer keeps reconnecting.
        _redis = await ConnectionMultiplexer.ConnectAsync(redis);
        _redis.ConnectionFailed += (_, e) =>
        {
            _lastError = $"{e.FailureType}: {e.Exception?.Message}";
            logger.LogWarning("Result cache Redis {Endpoint} unreachable ({Failure}): serving from the local cache and synthesis", e.EndPoint, e.FailureType);
        };
        _redis.ConnectionRestored += (_, e) => logger.LogInformation("Result cache Redis {Endpoint} reachable again", e.EndPoint);
        if (!_redis.IsConnected) logger.LogWarning("Result cache Redis {Endpoints} unreachable at start: {Status}", Endpoints, _redis.GetStatus());
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        if (_redis is not null) await _redis.DisposeAsync();
    }

    /// <summary>The stored result, or null (absent, expired, evicted, or Redis unreachable).</summary>
    public async Task<CachedAudio?> ReadAsync(string key)
    {
        if (!Available) return null;
        try
        {
            var value = await _redis!.GetDatabase().StringGetAsync(_prefix + key);
            return value.IsNull ? null : Decode(key, (byte[])value!);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            Failed(e);
            return null;
        }
    }

    /// <summary>Stores the result with the TTL; false when Redis did not take it.</summary>
    public async Task<bool> WriteAsync(CachedAudio audio)
    {
        if (!Available) return false;
        try
        {
            return await _redis!.GetDatabase().StringSetAsync(_prefix + audio.Key, Encode(audio), options.Ttl);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            // Also an OOM answer when the server's policy is noeviction: the result is simply not shared.
            Failed(e);
            return false;
        }
    }

    private void Failed(Exception e)
    {
        _lastError = e.Message;
        // A refused write (OOM under noeviction) says nothing about the next read; a timeout or a lost connection does.
        if (e is TimeoutException or RedisConnectionException) Interlocked.Exchange(ref _skipUntil, Environment.TickCount64 + (long)Backoff.TotalMilliseconds);
        logger.LogDebug(e, "Result cache Redis call failed");
    }

    /// <summary>[format 1][audio seconds: 8][content type length: 2][content type][voice length: 2][voice][content].</summary>
    internal static byte[] Encode(CachedAudio audio)
    {
        var type = Encoding.UTF8.GetBytes(audio.ContentType);
        var voice = Encoding.UTF8.GetBytes(audio.VoiceId);
        var value = new byte[1 + 8 + 2 + type.Length + 2 + voice.Length + audio.Content.Length];
        var span = value.AsSpan();
        span[0] = Format;
        BinaryPrimitives.WriteDoubleLittleEndian(span[1..], audio.AudioSeconds);
        var at = 9;
        foreach (var text in new[] { type, voice })
        {
            BinaryPrimitives.WriteUInt16LittleEndian(span[at..], checked((ushort)text.Length));
            text.CopyTo(span[(at + 2)..]);
            at += 2 + text.Length;
        }
        audio.Content.CopyTo(span[at..]);
        return value;
    }

    /// <summary>The stored result; null for a value this version cannot read (another format), which is then a miss.</summary>
    internal static CachedAudio? Decode(string key, ReadOnlySpan<byte> value)
    {
        if (value.Length < 13 || value[0] != Format) return null;
        var seconds = BinaryPrimitives.ReadDoubleLittleEndian(value[1..]);
        var at = 9;
        var texts = new string[2];
        for (var i = 0; i < 2; i++)
        {
            if (at + 2 > value.Length) return null;
            var length = BinaryPrimitives.ReadUInt16LittleEndian(value[at..]);
            if (at + 2 + length > value.Length) return null;
            texts[i] = Encoding.UTF8.GetString(value.Slice(at + 2, length));
            at += 2 + length;
        }
        return new CachedAudio(key, value[at..].ToArray(), texts[0], texts[1], seconds);
    }
}

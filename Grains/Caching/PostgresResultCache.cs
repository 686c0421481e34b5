using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Tts.Caching;
using Orleans.Tts.Cluster;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Caching;

/// <summary>
/// The local LRU in front of the <c>result_cache</c> table (bytea, TTL, total size cap, oldest evicted).
/// Single flight across silos: the silo that inserts the <c>result_cache_pending</c> row synthesises;
/// the others wait for its NOTIFY on <c>tts_cache</c> (or poll) and read the row. A dead silo's pending
/// rows are deleted with it; an expired one is taken over. With PostgreSQL unreachable: local only.
/// A result synthesised here goes to the table only; the local LRU takes what is read from the table (asked for again),
/// so one-off texts — most of them — do not churn it: each would stay there until evicted, long enough for the garbage
/// collector to promote it, and under load the evicted audio piled up in the oldest generation (a frontend grew from 212
/// to 738 MiB in bench/reliability overload, where every text is new).
/// </summary>
public sealed class PostgresResultCache : InMemoryResultCache
{
    private readonly PostgresStore _store;
    private readonly ClusterOptions _cluster;
    private readonly ClusterLoad _load;
    private readonly ILogger<PostgresResultCache> _logger;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiting = new(StringComparer.Ordinal);

    public PostgresResultCache(PostgresStore store, PostgresNotifications notifications, CacheOptions options, ClusterOptions cluster,
        ClusterLoad load, ILogger<PostgresResultCache> logger, TtsMetrics? metrics = null) : base(options, metrics)
    {
        _store = store;
        _cluster = cluster;
        _load = load;
        _logger = logger;
        notifications.Subscribe("tts_cache", key => { if (_waiting.TryGetValue(key, out var signal)) signal.TrySetResult(); });
    }

    protected override bool KeepLocally(bool sharedHit) => sharedHit || !_store.Available;

    public override async ValueTask<CachedAudio?> TryGetAsync(string key, CancellationToken cancellationToken = default)
    {
        if (Local.TryGet(key, out var hit)) return hit;
        if (!_store.Available) return null;
        try
        {
            var row = await ReadAsync(key, cancellationToken);
            if (row is not null) Remember(key, row);
            return row;
        }
        catch (StorageUnavailableException) { return null; }
    }

    /// <summary>
    /// Into the shared table (waking any silo waiting for the key), and like any new result into the local LRU only once read
    /// back from it (<see cref="KeepLocally"/>); local only while PostgreSQL is unreachable.
    /// </summary>
    public override async ValueTask StoreAsync(CachedAudio audio, CancellationToken cancellationToken = default)
    {
        if (_store.Available) await PublishAsync(audio.Key, new ProducedAudio(audio, Cacheable: true, null));
        else await base.StoreAsync(audio, cancellationToken);
    }

    protected override async ValueTask<(ProducedAudio Produced, bool Hit)> ProduceAsync(string key, Func<CancellationToken, ValueTask<ProducedAudio>> factory,
        CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + Options.MaxPendingWait;
        while (_store.Available)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (await ReadAsync(key, CancellationToken.None) is { } shared) return (new ProducedAudio(shared, true, null), true);
                var signal = _waiting.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                try
                {
                    if (await TryClaimAsync(key))
                    {
                        _load.PendingKeys[key] = 0;
                        try
                        {
                            // Someone may have finished between our read and our claim.
                            if (await ReadAsync(key, CancellationToken.None) is { } late) return (new ProducedAudio(late, true, null), true);
                            var produced = await factory(cancellationToken);
                            await PublishAsync(key, produced);
                            return (produced, false);
                        }
                        catch
                        {
                            await ReleaseClaimAsync(key);
                            throw;
                        }
                        finally
                        {
                            _load.PendingKeys.TryRemove(key, out _);
                        }
                    }
                    // Another silo is synthesising this key: wait for its notification, re-checking now and then.
                    if (DateTime.UtcNow > deadline) break;
                    await signal.Task.WaitAsync(TimeSpan.FromMilliseconds(100)).ContinueWith(_ => { }, TaskScheduler.Default);
                }
                finally
                {
                    if (signal.Task.IsCompleted) _waiting.TryRemove(new KeyValuePair<string, TaskCompletionSource>(key, signal));
                }
            }
            catch (StorageUnavailableException) { break; }
        }
        return (await factory(cancellationToken), false);
    }

    private Task<CachedAudio?> ReadAsync(string key, CancellationToken ct) => _store.RunAsync(async (connection, token) =>
    {
        await using var command = new NpgsqlCommand("SELECT content, content_type, voice_id, audio_seconds FROM result_cache WHERE key = @key AND expires_at > now()", connection);
        command.Parameters.AddWithValue("key", key);
        await using var reader = await command.ExecuteReaderAsync(token);
        if (!await reader.ReadAsync(token)) return null;
        return new CachedAudio(key, (byte[])reader.GetValue(0), reader.GetString(1), reader.GetString(2), reader.GetDouble(3));
    }, ct);

    /// <summary>Inserts the pending row, or takes over an expired one; true when this silo now owns the key.</summary>
    private Task<bool> TryClaimAsync(string key) => _store.RunAsync(async (connection, token) =>
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO result_cache_pending (key, silo_id, expires_at) VALUES (@key, @silo, now() + make_interval(secs => @lease))
            ON CONFLICT (key) DO UPDATE SET silo_id = excluded.silo_id, expires_at = excluded.expires_at
                WHERE result_cache_pending.expires_at < now()
            RETURNING silo_id
            """, connection);
        command.Parameters.AddWithValue("key", key);
        command.Parameters.AddWithValue("silo", _cluster.Self.Id);
        command.Parameters.AddWithValue("lease", Math.Max(1, _cluster.DeadAfter.TotalSeconds) + 30);
        return await command.ExecuteScalarAsync(token) is not null;
    }, CancellationToken.None);

    private async Task ReleaseClaimAsync(string key)
    {
        try
        {
            await _store.RunAsync(async (connection, token) =>
            {
                await using var command = new NpgsqlCommand("DELETE FROM result_cache_pending WHERE key = @key AND silo_id = @silo; SELECT pg_notify('tts_cache', @key)", connection);
                command.Parameters.AddWithValue("key", key);
                command.Parameters.AddWithValue("silo", _cluster.Self.Id);
                await command.ExecuteNonQueryAsync(token);
            }, CancellationToken.None);
        }
        catch (StorageUnavailableException) { }
    }

    /// <summary>Stores the result (when cacheable), drops the pending row and wakes the waiters, in one transaction; then trims to the size cap.</summary>
    private async Task PublishAsync(string key, ProducedAudio produced)
    {
        try
        {
            await _store.RunAsync(async (connection, token) =>
            {
                await using var tx = await connection.BeginTransactionAsync(token);
                if (produced.Cacheable)
                {
                    var audio = produced.Audio;
                    await using var insert = new NpgsqlCommand("""
                        INSERT INTO result_cache (key, content, content_type, voice_id, audio_seconds, size_bytes, expires_at)
                        VALUES (@key, @content, @type, @voice, @seconds, @size, now() + make_interval(secs => @ttl))
                        ON CONFLICT (key) DO UPDATE SET content = excluded.content, content_type = excluded.content_type, voice_id = excluded.voice_id,
                            audio_seconds = excluded.audio_seconds, size_bytes = excluded.size_bytes, created_at = now(), expires_at = excluded.expires_at
                        """, connection, tx);
                    insert.Parameters.AddWithValue("key", key);
                    insert.Parameters.AddWithValue("content", audio.Content);
                    insert.Parameters.AddWithValue("type", audio.ContentType);
                    insert.Parameters.AddWithValue("voice", audio.VoiceId);
                    insert.Parameters.AddWithValue("seconds", audio.AudioSeconds);
                    insert.Parameters.AddWithValue("size", audio.Content.Length);
                    insert.Parameters.AddWithValue("ttl", Options.Ttl.TotalSeconds);
                    await insert.ExecuteNonQueryAsync(token);
                }
                await using (var done = new NpgsqlCommand("DELETE FROM result_cache_pending WHERE key = @key; SELECT pg_notify('tts_cache', @key)", connection, tx))
                {
                    done.Parameters.AddWithValue("key", key);
                    await done.ExecuteNonQueryAsync(token);
                }
                await tx.CommitAsync(token);
                if (!produced.Cacheable) return;
                await using var trim = new NpgsqlCommand("""
                    DELETE FROM result_cache WHERE expires_at < now() OR key IN (
                        SELECT key FROM (SELECT key, sum(size_bytes) OVER (ORDER BY created_at DESC, key) AS running FROM result_cache) t
                        WHERE running > @cap)
                    """, connection);
                trim.Parameters.AddWithValue("cap", Options.SharedBytes);
                await trim.ExecuteNonQueryAsync(token);
            }, CancellationToken.None);
        }
        catch (StorageUnavailableException e)
        {
            _logger.LogDebug(e, "Result {Key} not shared: PostgreSQL unreachable", key);
        }
    }
}

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
/// The requester gets its audio before the result is shared: the insert of the whole file took 49 ms at the median and
/// 142 ms at p99 under overload (bench/reliability, Server-Timing <c>store</c>), time no admission deadline reserved. The
/// claim keeps other requests for the key waiting until it is in the table; a drain waits for it like a request in flight.
/// </summary>
public sealed class PostgresResultCache : InMemoryResultCache
{
    private readonly PostgresStore _store;
    private readonly TtsClusterOptions _cluster;
    private readonly ClusterLoad _load;
    private readonly ILogger<PostgresResultCache> _logger;
    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waiting = new(StringComparer.Ordinal);
    private readonly ISiloActivity _activity;
    private long _bytesSinceTrim;
    private int _trimming, _sharing;

    /// <summary>Results shared after their response at once; beyond that (PostgreSQL slower than synthesis) the requester waits for it.</summary>
    private const int MaxSharingAfterResponse = 32;

    public PostgresResultCache(PostgresStore store, PostgresNotifications notifications, CacheOptions options, TtsClusterOptions cluster,
        ClusterLoad load, ISiloActivity activity, ILogger<PostgresResultCache> logger, TtsMetrics? metrics = null) : base(options, metrics)
    {
        _store = store;
        _activity = activity;
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
                        var sharing = false;
                        try
                        {
                            // Someone may have finished between our read and our claim.
                            if (await ReadAsync(key, CancellationToken.None) is { } late) return (new ProducedAudio(late, true, null), true);
                            var produced = await factory(cancellationToken);
                            sharing = true;
                            await ShareAsync(key, produced);
                            return (produced, false);
                        }
                        catch
                        {
                            if (!sharing) await ReleaseClaimAsync(key);
                            throw;
                        }
                        finally
                        {
                            if (!sharing) _load.PendingKeys.TryRemove(key, out _);
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

    /// <summary>
    /// Publishes a result this silo claimed and produced, after its response when it can: in the background, counted as
    /// in flight (a drain waits for it) and at most <see cref="MaxSharingAfterResponse"/> at once; otherwise (draining, or
    /// PostgreSQL slower than synthesis) before. The claim is renewed by the heartbeat until it ends.
    /// </summary>
    private async ValueTask ShareAsync(string key, ProducedAudio produced)
    {
        var scope = Interlocked.Increment(ref _sharing) <= MaxSharingAfterResponse ? _activity.TryBegin() : null;
        if (scope is null)
        {
            Interlocked.Decrement(ref _sharing);
            await PublishOrReleaseAsync(key, produced);
            return;
        }
        _ = Task.Run(async () =>
        {
            try { await PublishOrReleaseAsync(key, produced); }
            finally
            {
                Interlocked.Decrement(ref _sharing);
                scope.Dispose();
            }
        });
    }

    private async Task PublishOrReleaseAsync(string key, ProducedAudio produced)
    {
        try
        {
            await PublishAsync(key, produced);
        }
        catch (Exception e)
        {
            // The requester has its audio; the others waiting for the key are released to produce it themselves.
            _logger.LogWarning(e, "Result {Key} could not be shared", key);
            try { await ReleaseClaimAsync(key); }
            catch (Exception release) { _logger.LogWarning(release, "The claim on result {Key} was not released; it expires with its lease", key); }
        }
        finally
        {
            _load.PendingKeys.TryRemove(key, out _);
        }
    }

    /// <summary>Stores the result (when cacheable and the table keeps anything), drops the pending row and wakes the waiters, in one transaction.</summary>
    private async Task PublishAsync(string key, ProducedAudio produced)
    {
        var store = produced.Cacheable && Options.SharedBytes > 0;
        try
        {
            await _store.RunAsync(async (connection, token) =>
            {
                await using var tx = await connection.BeginTransactionAsync(token);
                if (store)
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
            }, CancellationToken.None);
        }
        catch (StorageUnavailableException e)
        {
            _logger.LogDebug(e, "Result {Key} not shared: PostgreSQL unreachable", key);
            return;
        }
        if (store) TrimSoon(produced.Audio.Content.Length);
    }

    /// <summary>Bytes this silo stores between two trims: the table may exceed its cap by this much per silo.</summary>
    private long TrimEvery => Math.Max(1, Options.SharedBytes / 16);

    /// <summary>
    /// Trims the table to its size cap (oldest first) and drops expired rows, in the background and once this silo has stored
    /// a sixteenth of the cap since its last trim. The trim sorts the whole table: run after every insert, inside the response,
    /// it cost each new result 6–7 ms of PostgreSQL (8,000 rows, an idle machine) while the requester waited, and more when
    /// every text is new and the machine is busy (bench/reliability overload and soak).
    /// </summary>
    private void TrimSoon(int stored)
    {
        if (Interlocked.Add(ref _bytesSinceTrim, stored) < TrimEvery || Interlocked.CompareExchange(ref _trimming, 1, 0) != 0) return;
        Interlocked.Exchange(ref _bytesSinceTrim, 0);
        _ = Task.Run(async () =>
        {
            var trimmed = false;
            try
            {
                var deleted = await _store.RunAsync(async (connection, token) =>
                {
                    await using var trim = new NpgsqlCommand("""
                        DELETE FROM result_cache WHERE expires_at < now() OR key IN (
                            SELECT key FROM (SELECT key, sum(size_bytes) OVER (ORDER BY created_at DESC, key) AS running FROM result_cache) t
                            WHERE running > @cap)
                        """, connection);
                    trim.Parameters.AddWithValue("cap", Options.SharedBytes);
                    return await trim.ExecuteNonQueryAsync(token);
                }, CancellationToken.None);
                if (deleted > 0) _logger.LogDebug("Trimmed {Count} results from the shared cache (cap {Cap} bytes)", deleted, Options.SharedBytes);
                trimmed = true;
            }
            catch (Exception e) when (e is StorageUnavailableException or NpgsqlException or ObjectDisposedException or InvalidOperationException)
            {
                // The next stored result tries again (not this task: PostgreSQL may be away for a while).
                Interlocked.Add(ref _bytesSinceTrim, TrimEvery);
                _logger.LogDebug(e, "The shared result cache was not trimmed");
            }
            finally
            {
                Volatile.Write(ref _trimming, 0);
            }
            // What was stored while this trim ran is trimmed next, even if nothing more is stored.
            if (trimmed && Interlocked.Read(ref _bytesSinceTrim) >= TrimEvery) TrimSoon(0);
        });
    }
}

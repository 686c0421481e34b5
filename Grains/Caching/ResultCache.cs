using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Tts.Caching;
using Orleans.Tts.Cluster;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Caching;

/// <summary>
/// The result cache of a process: a <see cref="MemoryCache"/> bounded in bytes (entry size = the file's bytes) in front of
/// Redis (<see cref="RedisResultStore"/>, when configured), with single flight in the process and, through Redis, across
/// the cluster (<see cref="IResultFlightGrain"/>).
/// </summary>
/// <remarks>
/// <para>What enters the local cache: with Redis, a new result goes to Redis only, and a process keeps a result in memory when it
/// reads it back from Redis (it was asked for again). Most texts are said once: kept in memory until evicted, they were promoted by
/// the garbage collector and piled up as old garbage (a frontend grew from 212 to 738 MiB in bench/reliability overload, where every
/// text is new). Without Redis (none configured, or unreachable) the local cache is the only one and keeps every result.</para>
/// <para>The requester gets its audio before the result is shared: storing the whole file in the shared store took 49 ms at the
/// median and 142 ms at p99 under overload (measured with the earlier PostgreSQL store; Server-Timing <c>store</c>), time no
/// admission deadline reserved. The flight grain keeps the other requests for the key waiting until it is stored; a drain waits
/// for it like a request in flight.</para>
/// <para>A synthesis outlives the caller that started it while others in this process wait for it too; when every waiting
/// caller has left (their clients disconnected), nobody wants the result any more and it is cancelled.</para>
/// <para>Without Redis there is no shared store to read another process's result from, so single flight is this process's alone
/// (the embedded default is one silo: nothing is lost, and no grain call is paid).</para>
/// </remarks>
public sealed class ResultCache : IResultCache, IDisposable
{
    /// <summary>One production of a key in this process and the callers waiting for it (guarded by locking the flight).</summary>
    private sealed class Flight
    {
        public TaskCompletionSource<(ProducedAudio Produced, bool Hit)> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenSource Stop { get; } = new();
        public int Waiters;
    }

    /// <summary>Results shared after their response at once; beyond that (Redis slower than synthesis) the requester waits for it.</summary>
    private const int MaxSharingAfterResponse = 32;

    /// <summary>Bytes a local entry costs besides its content (the record, key and cache entry), so that tiny files are bounded too.</summary>
    private const int EntryOverhead = 256;

    private readonly ConcurrentDictionary<string, Flight> _inFlight = new(StringComparer.Ordinal);
    private readonly MemoryCache? _local;
    private readonly CacheOptions _options;
    private readonly RedisResultStore? _store;
    private readonly IGrainFactory? _grains;
    private readonly ISiloActivity? _activity;
    private readonly SiloAddress? _silo;
    private readonly TtsMetrics? _metrics;
    private readonly ILogger _logger;
    private readonly PostEvictionDelegate _evicted;
    private int _sharing;

    /// <param name="store">The shared store; null: this process's cache only.</param>
    /// <param name="grains">For the flight grains (with <paramref name="store"/>).</param>
    /// <param name="silo">This silo, null in an Orleans client: a leader's lead ends with its silo.</param>
    public ResultCache(CacheOptions options, RedisResultStore? store = null, IGrainFactory? grains = null, ISiloActivity? activity = null,
        SiloAddress? silo = null, TtsMetrics? metrics = null, ILogger<ResultCache>? logger = null)
    {
        if (store is not null && grains is null) throw new ArgumentException("A shared store needs the grain factory for single flight.", nameof(grains));
        _options = options;
        _store = store;
        _grains = grains;
        _activity = activity;
        _silo = silo;
        _metrics = metrics;
        _logger = logger ?? NullLogger<ResultCache>.Instance;
        // Size = bytes; an entry that would pass the limit is refused and the least recently used are compacted away to 95 %.
        _local = options.MemoryBytes > 0 ? new MemoryCache(new MemoryCacheOptions { SizeLimit = options.MemoryBytes, TrackStatistics = true }) : null;
        _evicted = (_, _, _, _) => ReportLocalBytes();
    }

    /// <summary>Bytes the local cache holds (sizes as charged, content plus <see cref="EntryOverhead"/>).</summary>
    public long LocalBytes => _local?.GetCurrentStatistics()?.CurrentEstimatedSize ?? 0;

    public string Status => _store?.Status ?? "local only (no TTS_REDIS or TTS_REDIS_CACHE)";

    public bool Degraded => _store is { Available: false };

    public void Dispose() => _local?.Dispose();

    private bool TryLocal(string key, out CachedAudio audio)
    {
        if (_local is not null && _local.TryGetValue(key, out var value))
        {
            audio = (CachedAudio)value!;
            return true;
        }
        audio = null!;
        return false;
    }

    private void Remember(CachedAudio audio)
    {
        if (_local is null) return;
        using (var entry = _local.CreateEntry(audio.Key))
        {
            entry.Value = audio;
            entry.Size = audio.Content.Length + audio.Key.Length * 2 + EntryOverhead;
            entry.AbsoluteExpirationRelativeToNow = _options.Ttl;
            entry.PostEvictionCallbacks.Add(new PostEvictionCallbackRegistration { EvictionCallback = _evicted });
        }
        ReportLocalBytes();
    }

    private void ReportLocalBytes() => _metrics?.CacheMemory(LocalBytes);

    /// <summary>A result just produced here enters memory only when it cannot be shared.</summary>
    private bool KeepNewLocally => _store is not { Available: true };

    public async ValueTask<CachedAudio?> TryGetAsync(string key, CancellationToken cancellationToken = default)
    {
        if (TryLocal(key, out var hit)) return hit;
        if (_store is null) return null;
        var shared = await _store.ReadAsync(key);
        if (shared is not null) Remember(shared);
        return shared;
    }

    public async ValueTask StoreAsync(CachedAudio audio, CancellationToken cancellationToken = default)
    {
        if (_store is not null && await _store.WriteAsync(audio)) return;
        Remember(audio);
    }

    public async ValueTask<CacheOutcome> GetOrCreateAsync(string key, Func<CancellationToken, ValueTask<ProducedAudio>> factory, CancellationToken cancellationToken = default)
    {
        if (TryLocal(key, out var cached))
        {
            _metrics?.CacheLookup(hit: true);
            return new CacheOutcome(cached, Hit: true, null);
        }
        Flight flight;
        bool leader;
        while (true)
        {
            var mine = new Flight();
            flight = _inFlight.GetOrAdd(key, mine);
            leader = flight == mine;
            lock (flight)
            {
                if (!flight.Stop.IsCancellationRequested)
                {
                    flight.Waiters++;
                    if (leader) _ = ProduceForAllAsync(key, factory, flight);
                    break;
                }
            }
            // Everybody left that flight and it is being cancelled: start a new one.
            _inFlight.TryRemove(new KeyValuePair<string, Flight>(key, flight));
        }
        try
        {
            var (produced, hit) = await flight.Result.Task.WaitAsync(cancellationToken);
            // The caller that started the production reports whether it came from the shared store; the others shared it.
            hit |= !leader;
            _metrics?.CacheLookup(hit);
            return new CacheOutcome(produced.Audio, hit, produced.Degradation);
        }
        finally
        {
            lock (flight)
            {
                if (--flight.Waiters == 0 && !flight.Result.Task.IsCompleted) flight.Stop.Cancel();
            }
        }
    }

    private async Task ProduceForAllAsync(string key, Func<CancellationToken, ValueTask<ProducedAudio>> factory, Flight flight)
    {
        try
        {
            var (produced, hit) = await ProduceAsync(key, factory, flight.Stop.Token);
            if (produced.Cacheable && (hit || KeepNewLocally)) Remember(produced.Audio);
            flight.Result.TrySetResult((produced, hit));
        }
        catch (Exception e)
        {
            flight.Result.TrySetException(e);
            _ = flight.Result.Task.Exception; // observed even when every caller has left
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<string, Flight>(key, flight));
        }
    }

    /// <summary>
    /// The result for this process's callers, once: from Redis, from another process's synthesis (waiting for it through the
    /// flight grain), or synthesised here as the key's leader. True when it came from Redis.
    /// </summary>
    private async Task<(ProducedAudio Produced, bool Hit)> ProduceAsync(string key, Func<CancellationToken, ValueTask<ProducedAudio>> factory, CancellationToken ct)
    {
        if (_store is null || !_store.Available) return (await factory(ct), false);
        if (await _store.ReadAsync(key) is { } shared) return (new ProducedAudio(shared, true, null), true);

        var grain = _grains!.GetGrain<IResultFlightGrain>(key);
        var caller = new FlightCaller(Guid.NewGuid(), _silo, _options.MaxPendingWait);
        var deadline = DateTime.UtcNow + _options.MaxPendingWait;
        while (_store.Available && DateTime.UtcNow < deadline)
        {
            FlightTurn turn;
            try
            {
                turn = await grain.EnterAsync(caller, ct).WaitAsync(ResultFlightGrain.WaitSlice + TimeSpan.FromMilliseconds(500), ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The flight grain's silo was just killed: a call already sent gets no answer before Orleans' response timeout
                // (30 s), and a new one is refused until membership declares the silo dead, both longer than a request's
                // deadline allows. Synthesising without the flight costs at worst one duplicate synthesis.
                _logger.LogDebug(e, "The flight of result {Key} could not be entered; synthesising without it", key);
                break;
            }
            if (turn == FlightTurn.Wait) continue;
            if (turn == FlightTurn.Ready)
            {
                if (await _store.ReadAsync(key) is { } ready) return (new ProducedAudio(ready, true, null), true);
                continue; // already evicted or expired: enter again (and most likely lead)
            }
            return await LeadAsync(key, factory, grain, caller.Lead, ct);
        }
        return (await factory(ct), false);
    }

    private async Task<(ProducedAudio Produced, bool Hit)> LeadAsync(string key, Func<CancellationToken, ValueTask<ProducedAudio>> factory, IResultFlightGrain grain,
        Guid lead, CancellationToken ct)
    {
        ProducedAudio produced;
        try
        {
            // Another leader may have finished between our read and our lead.
            if (await _store!.ReadAsync(key) is { } late)
            {
                await DoneAsync(grain, lead, stored: true);
                return (new ProducedAudio(late, true, null), true);
            }
            produced = await factory(ct);
        }
        catch
        {
            await DoneAsync(grain, lead, stored: false);
            throw;
        }
        await ShareAsync(produced, grain, lead);
        return (produced, false);
    }

    /// <summary>
    /// Stores a result this process led and tells the waiters, after its response when it can: in the background, counted as in
    /// flight (a drain waits for it) and at most <see cref="MaxSharingAfterResponse"/> at once; otherwise (draining, or Redis slower
    /// than synthesis) before.
    /// </summary>
    private async ValueTask ShareAsync(ProducedAudio produced, IResultFlightGrain grain, Guid lead)
    {
        var scope = Interlocked.Increment(ref _sharing) <= MaxSharingAfterResponse ? _activity?.TryBegin() : null;
        if (scope is null)
        {
            Interlocked.Decrement(ref _sharing);
            await PublishAsync(produced, grain, lead);
            return;
        }
        _ = Task.Run(async () =>
        {
            try { await PublishAsync(produced, grain, lead); }
            finally
            {
                Interlocked.Decrement(ref _sharing);
                scope.Dispose();
            }
        });
    }

    private async Task PublishAsync(ProducedAudio produced, IResultFlightGrain grain, Guid lead)
    {
        // Degraded audio is not shared: a waiter then leads and synthesises with its own admission.
        var stored = produced.Cacheable && await _store!.WriteAsync(produced.Audio);
        if (produced.Cacheable && !stored) Remember(produced.Audio);
        await DoneAsync(grain, lead, stored);
    }

    private async Task DoneAsync(IResultFlightGrain grain, Guid lead, bool stored)
    {
        try
        {
            await grain.DoneAsync(lead, stored);
        }
        catch (Exception e)
        {
            // Its waiters take the lead when the lease runs out (or at once if the grain went with its silo).
            _logger.LogWarning(e, "The flight grain was not told that a result is done");
        }
    }
}

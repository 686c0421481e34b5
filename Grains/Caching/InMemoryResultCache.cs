using System.Collections.Concurrent;
using Orleans.Tts.Caching;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Caching;

/// <summary>
/// Silo-local result cache: an LRU bounded in bytes plus local single flight (identical requests in
/// flight at once share one synthesis). <see cref="PostgresResultCache"/> adds the shared layer.
/// </summary>
/// <remarks>
/// The synthesis of a key outlives the caller that started it while others wait for it too; when every waiting caller
/// has left (their clients disconnected), nobody wants the result any more and it is cancelled, on every silo it runs on.
/// </remarks>
public class InMemoryResultCache(CacheOptions options, TtsMetrics? metrics = null) : IResultCache
{
    /// <summary>One synthesis of a key and the callers waiting for it (guarded by locking the flight).</summary>
    private sealed class Flight
    {
        public TaskCompletionSource<(ProducedAudio Produced, bool Hit)> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenSource Stop { get; } = new();
        public int Waiters;
    }

    private readonly ConcurrentDictionary<string, Flight> _inFlight = new(StringComparer.Ordinal);
    protected LruCache<CachedAudio> Local { get; } = new(options.MemoryBytes, a => a.Content.Length);
    protected CacheOptions Options => options;

    /// <summary>Puts a result in the local LRU (evicting the least recently used beyond its size) and reports the LRU's size.</summary>
    protected void Remember(string key, CachedAudio audio)
    {
        Local.Set(key, audio);
        metrics?.CacheMemory(Local.Bytes);
    }

    public virtual ValueTask<CachedAudio?> TryGetAsync(string key, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Local.TryGet(key, out var hit) ? hit : null);

    public virtual ValueTask StoreAsync(CachedAudio audio, CancellationToken cancellationToken = default)
    {
        Local.Set(audio.Key, audio);
        return ValueTask.CompletedTask;
    }

    public async ValueTask<CacheOutcome> GetOrCreateAsync(string key, Func<CancellationToken, ValueTask<ProducedAudio>> factory, CancellationToken cancellationToken = default)
    {
        if (Local.TryGet(key, out var cached))
        {
            metrics?.CacheLookup(hit: true);
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
            // The caller that started the synthesis reports whether it came from the shared store; the others shared it.
            hit |= !leader;
            metrics?.CacheLookup(hit);
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
            if (produced.Cacheable && KeepLocally(hit)) Remember(key, produced.Audio);
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

    /// <summary>Whether a result just produced (<paramref name="sharedHit"/>: read from a shared store) enters the local LRU; here it always does, being the only cache.</summary>
    protected virtual bool KeepLocally(bool sharedHit) => true;

    /// <summary>Produces the result once for this silo; true when it came from a shared store rather than a synthesis here.</summary>
    protected virtual async ValueTask<(ProducedAudio Produced, bool Hit)> ProduceAsync(string key, Func<CancellationToken, ValueTask<ProducedAudio>> factory,
        CancellationToken cancellationToken) =>
        (await factory(cancellationToken), false);
}

using System.Collections.Concurrent;
using Orleans.Tts.Caching;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Caching;

/// <summary>
/// Silo-local result cache: an LRU bounded in bytes plus local single flight (identical requests in
/// flight at once share one synthesis). <see cref="PostgresResultCache"/> adds the shared layer.
/// </summary>
public class InMemoryResultCache(CacheOptions options, TtsMetrics? metrics = null) : IResultCache
{
    private readonly ConcurrentDictionary<string, Task<ProducedAudio>> _inFlight = new(StringComparer.Ordinal);
    protected LruCache<CachedAudio> Local { get; } = new(options.MemoryBytes, a => a.Content.Length);
    protected CacheOptions Options => options;

    public virtual ValueTask<CachedAudio?> TryGetAsync(string key, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Local.TryGet(key, out var hit) ? hit : null);

    public async ValueTask<CacheOutcome> GetOrCreateAsync(string key, Func<CancellationToken, ValueTask<ProducedAudio>> factory, CancellationToken cancellationToken = default)
    {
        if (Local.TryGet(key, out var cached))
        {
            metrics?.CacheLookup(hit: true);
            return new CacheOutcome(cached, Hit: true, null);
        }
        var mine = new TaskCompletionSource<ProducedAudio>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flight = _inFlight.GetOrAdd(key, mine.Task);
        if (flight != mine.Task)
        {
            var shared = await flight.WaitAsync(cancellationToken);
            metrics?.CacheLookup(hit: true);
            return new CacheOutcome(shared.Audio, Hit: true, shared.Degradation);
        }
        try
        {
            // The leader's synthesis serves every waiter, so it is not cancelled with the leader's request.
            var (produced, hit) = await ProduceAsync(key, factory);
            if (produced.Cacheable) Local.Set(key, produced.Audio);
            mine.SetResult(produced);
            metrics?.CacheLookup(hit);
            return new CacheOutcome(produced.Audio, hit, produced.Degradation);
        }
        catch (Exception e)
        {
            mine.SetException(e);
            _ = mine.Task.Exception; // observed
            throw;
        }
        finally
        {
            _inFlight.TryRemove(new KeyValuePair<string, Task<ProducedAudio>>(key, mine.Task));
        }
    }

    /// <summary>Produces the result once for this silo; true when it came from a shared store rather than a synthesis here.</summary>
    protected virtual async ValueTask<(ProducedAudio Produced, bool Hit)> ProduceAsync(string key, Func<CancellationToken, ValueTask<ProducedAudio>> factory) =>
        (await factory(CancellationToken.None), false);
}

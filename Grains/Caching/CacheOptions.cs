namespace Orleans.Tts.Grains.Caching;

/// <summary>Result cache settings (TTS_CACHE_MEMORY_MB, TTS_CACHE_TTL_SECONDS; the shared store is TTS_REDIS_CACHE).</summary>
public sealed class CacheOptions
{
    /// <summary>Bytes of results this process keeps in memory; 0 keeps none.</summary>
    public long MemoryBytes { get; init; } = 64L << 20;
    public TimeSpan Ttl { get; init; } = TimeSpan.FromDays(1);
    /// <summary>Longest a request waits for another caller's synthesis of the same key before doing it itself; also a leader's lease.</summary>
    public TimeSpan MaxPendingWait { get; init; } = TimeSpan.FromSeconds(60);
}

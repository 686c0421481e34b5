namespace Orleans.Tts.Grains.Caching;

/// <summary>Result cache settings (TTS_CACHE_MEMORY_MB, TTS_CACHE_PG_MB, TTS_CACHE_TTL_SECONDS).</summary>
public sealed class CacheOptions
{
    public long MemoryBytes { get; init; } = 64L << 20;
    public long SharedBytes { get; init; } = 512L << 20;
    public TimeSpan Ttl { get; init; } = TimeSpan.FromDays(1);
    /// <summary>Longest a request waits for another silo's synthesis of the same key before doing it itself.</summary>
    public TimeSpan MaxPendingWait { get; init; } = TimeSpan.FromSeconds(60);
}

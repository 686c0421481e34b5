using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Orleans.Tts.Caching;

/// <summary>
/// Encoded synthesis results by request key: a process-local cache bounded in bytes in front of a shared store (Redis).
/// Identical requests in flight at once cause one synthesis cluster-wide.
/// </summary>
public interface IResultCache
{
    /// <summary>For <c>/ready</c>: the shared store and whether it answers.</summary>
    string Status { get; }

    /// <summary>The shared store is configured but unreachable: this process serves from its local cache and synthesis.</summary>
    bool Degraded { get; }

    ValueTask<CachedAudio?> TryGetAsync(string key, CancellationToken cancellationToken = default);

    /// <summary>Returns the cached result, or runs <paramref name="factory"/> once for all concurrent callers of the key.</summary>
    ValueTask<CacheOutcome> GetOrCreateAsync(string key, Func<CancellationToken, ValueTask<ProducedAudio>> factory, CancellationToken cancellationToken = default);

    /// <summary>Stores a result produced outside <see cref="GetOrCreateAsync"/> (a stream that completed) for later identical requests.</summary>
    ValueTask StoreAsync(CachedAudio audio, CancellationToken cancellationToken = default);
}

public sealed record CachedAudio(string Key, byte[] Content, string ContentType, string VoiceId, double AudioSeconds);

/// <param name="Cacheable">False for degraded results, which must not answer later identical requests.</param>
public sealed record ProducedAudio(CachedAudio Audio, bool Cacheable, string? Degradation);

/// <param name="Hit">True when this caller did not cause the synthesis.</param>
public sealed record CacheOutcome(CachedAudio Audio, bool Hit, string? Degradation);

/// <summary>The cache key of a request: hash of normalised text, voice (or speaker@version), speed, pitch, format, model version.</summary>
public static class ResultCacheKey
{
    public static string Compute(string text, string voiceOrSpeaker, double speed, double pitch, string format, string modelVersion)
    {
        var normalised = string.Join(' ', text.Normalize(NormalizationForm.FormKC).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        var material = string.Join('\u001f', "v1", normalised, voiceOrSpeaker.ToLowerInvariant(),
            speed.ToString("R", CultureInfo.InvariantCulture), pitch.ToString("R", CultureInfo.InvariantCulture), format, modelVersion);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(material)));
    }
}

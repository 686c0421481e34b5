using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Caching.Memory;
using Orleans.Tts.Speakers;
using Orleans.Tts.Synthesis.Speakers;

namespace Orleans.Tts.Grains.Speakers;

/// <summary>
/// <see cref="ISpeakerDirectory"/> over the speaker grains, with this process's copies of their embeddings in an LRU bounded
/// in bytes and keyed by (speaker id, version): a version is never reused, so a changed speaker is simply a new key and
/// nothing has to be invalidated. Concurrent misses for one speaker version share one call to its grain.
/// </summary>
public sealed class GrainSpeakerDirectory(IGrainFactory grains, long cacheBytes) : ISpeakerDirectory, IDisposable
{
    // Size = bytes: full, it refuses a new entry and compacts the least recently used away in the background.
    private readonly MemoryCache _embeddings = new(new MemoryCacheOptions { SizeLimit = Math.Max(1, cacheBytes) });
    private readonly ConcurrentDictionary<string, Lazy<Task<SpeakerEmbedding?>>> _fetching = new(StringComparer.Ordinal);

    public ISpeakerGrain GetSpeaker(string speakerId) => SpeakerIds.IsValid(speakerId)
        ? grains.GetGrain<ISpeakerGrain>(speakerId)
        : throw new ArgumentException($"'{speakerId}' is not a speaker id; check it with SpeakerIds.IsValid first.", nameof(speakerId));

    public ValueTask<IReadOnlyList<SpeakerProfile>> ListAsync(CancellationToken cancellationToken = default) =>
        grains.GetGrain<ISpeakerIndexGrain>(0).ListAsync();

    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => grains.GetGrain<ISpeakerIndexGrain>(0).CountAsync();

    public async ValueTask<SpeakerEmbedding?> GetEmbeddingAsync(SpeakerRef speaker, CancellationToken cancellationToken = default)
    {
        var version = speaker.Version;
        if (version <= 0)
        {
            // No version (a job unit): the profile, a few hundred bytes, says which one, so the table itself can come from the cache.
            if (await GetSpeaker(speaker.Id).GetAsync(cancellationToken) is not { } profile) return null;
            version = profile.Version;
        }
        if (_embeddings.TryGetValue(Key(speaker.Id, version), out SpeakerEmbedding? cached)) return cached;

        // Shared per version asked for: a fetch started for an older version (perhaps finished, its entry not yet removed) must
        // not answer for a newer one.
        var key = Key(speaker.Id, version);
        var fetch = new Lazy<Task<SpeakerEmbedding?>>(() => FetchAsync(speaker.Id));
        var shared = _fetching.GetOrAdd(key, fetch);
        if (ReferenceEquals(shared, fetch))
            _ = fetch.Value.ContinueWith(_ => _fetching.TryRemove(KeyValuePair.Create(key, fetch)), TaskScheduler.Default);
        // A caller that leaves stops waiting; the fetch goes on for the others (and for the cache).
        return await shared.Value.WaitAsync(cancellationToken);
    }

    /// <summary>The current version's embedding (it may be newer than asked for: the speaker changed meanwhile).</summary>
    private async Task<SpeakerEmbedding?> FetchAsync(string id)
    {
        var embedding = await GetSpeaker(id).GetEmbeddingAsync();
        if (embedding is not null) _embeddings.Set(Key(id, embedding.Version), embedding, new MemoryCacheEntryOptions { Size = embedding.Data.Length + 128 });
        return embedding;
    }

    private static string Key(string id, long version) => $"{id}@{version}";

    public void Dispose() => _embeddings.Dispose();
}

public static class SpeakerServiceExtensions
{
    /// <summary>Speakers as grains: the directory (with its embedding cache of <paramref name="cacheBytes"/>) and the embedding providers' front.</summary>
    public static IServiceCollection AddSpeakers(this IServiceCollection services, long cacheBytes)
    {
        services.AddSingleton<ISpeakerEmbeddingProvider, VoiceParameterEmbeddingProvider>();
        services.AddSingleton<SpeakerEmbeddings>();
        services.AddSingleton<ISpeakerDirectory>(sp => new GrainSpeakerDirectory(sp.GetRequiredService<IGrainFactory>(), cacheBytes));
        return services;
    }
}

using System.Collections.Concurrent;
using Orleans.Tts.Speakers;

namespace Orleans.Tts.Grains.Speakers;

/// <summary>Speakers of the embedded default, kept in this process.</summary>
public sealed class InMemorySpeakerDirectory(SpeakerEmbeddings embeddings, TimeProvider clock) : ISpeakerDirectory
{
    private readonly SpeakerEmbeddings _computer = embeddings;
    private readonly TimeProvider _clock = clock;
    private readonly ConcurrentDictionary<string, SpeakerProfile> _profiles = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<SpeakerEmbedding>>> _embeddings = new(StringComparer.Ordinal);

    public ISpeakerGrain GetSpeaker(string speakerId) => new Grain(this, speakerId);

    public ValueTask<IReadOnlyList<SpeakerProfile>> ListAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<SpeakerProfile>>(_profiles.Values.OrderBy(p => p.Id, StringComparer.Ordinal).ToList());

    private static string EmbeddingKey(SpeakerProfile p) => $"{p.Id}@{p.Version}";

    private sealed class Grain(InMemorySpeakerDirectory owner, string id) : ISpeakerGrain
    {
        public string SpeakerId => id;

        public ValueTask<SpeakerProfile?> GetAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(owner._profiles.GetValueOrDefault(id));

        public ValueTask<SpeakerProfile> CreateAsync(SpeakerDefinition definition, CancellationToken cancellationToken = default)
        {
            var profile = Profile(definition, 1);
            if (!owner._profiles.TryAdd(id, profile)) throw new SpeakerConflictException(id);
            return ValueTask.FromResult(profile);
        }

        public ValueTask<SpeakerProfile> PutAsync(SpeakerDefinition definition, CancellationToken cancellationToken = default)
        {
            var profile = owner._profiles.AddOrUpdate(id, _ => Profile(definition, 1), (_, old) => Profile(definition, old.Version + 1));
            Forget();
            return ValueTask.FromResult(profile);
        }

        public ValueTask<bool> DeleteAsync(CancellationToken cancellationToken = default)
        {
            var removed = owner._profiles.TryRemove(id, out _);
            Forget();
            return ValueTask.FromResult(removed);
        }

        public async ValueTask<SpeakerEmbedding?> GetEmbeddingAsync(CancellationToken cancellationToken = default)
        {
            if (!owner._profiles.TryGetValue(id, out var profile)) return null;
            var lazy = owner._embeddings.GetOrAdd(EmbeddingKey(profile),
                _ => new Lazy<Task<SpeakerEmbedding>>(() => owner._computer.ComputeAsync(profile, CancellationToken.None).AsTask()));
            return await lazy.Value.WaitAsync(cancellationToken);
        }

        private void Forget()
        {
            foreach (var key in owner._embeddings.Keys.Where(k => k.StartsWith(id + "@", StringComparison.Ordinal))) owner._embeddings.TryRemove(key, out _);
        }

        private SpeakerProfile Profile(SpeakerDefinition d, long version) =>
            new(id, d.BaseVoiceId, d.Speed, d.Pitch, d.Volume, d.EngineSpeaker, version, owner._clock.GetUtcNow());
    }
}

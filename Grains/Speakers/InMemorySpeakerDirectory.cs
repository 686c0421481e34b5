using Orleans.Tts.Synthesis.Speakers;
using System.Collections.Concurrent;
using Orleans.Tts.Speakers;

namespace Orleans.Tts.Grains.Speakers;

/// <summary>Speakers of the embedded default, kept in this process.</summary>
public sealed class InMemorySpeakerDirectory(SpeakerEmbeddings embeddings, TimeProvider clock) : ISpeakerDirectory
{
    private readonly SpeakerEmbeddings _computer = embeddings;
    private readonly TimeProvider _clock = clock;
    private readonly ConcurrentDictionary<string, Entry> _speakers = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Lazy<Task<SpeakerEmbedding>>> _embeddings = new(StringComparer.Ordinal);

    /// <summary>A speaker and its uploaded voice table, replaced together.</summary>
    private sealed record Entry(SpeakerProfile Profile, byte[]? VoiceTable);

    public ISpeakerGrain GetSpeaker(string speakerId) => new Grain(this, speakerId);

    public ValueTask<IReadOnlyList<SpeakerProfile>> ListAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult<IReadOnlyList<SpeakerProfile>>(_speakers.Values.Select(e => e.Profile).OrderBy(p => p.Id, StringComparer.Ordinal).ToList());

    public ValueTask<int> CountAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_speakers.Count);

    private static string EmbeddingKey(SpeakerProfile p) => $"{p.Id}@{p.Version}";

    private sealed class Grain(InMemorySpeakerDirectory owner, string id) : ISpeakerGrain
    {
        public string SpeakerId => id;

        public ValueTask<SpeakerProfile?> GetAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(owner._speakers.GetValueOrDefault(id)?.Profile);

        public ValueTask<SpeakerProfile> CreateAsync(SpeakerDefinition definition, CancellationToken cancellationToken = default)
        {
            var entry = Entry(definition, 1);
            if (!owner._speakers.TryAdd(id, entry)) throw new SpeakerConflictException(id);
            return ValueTask.FromResult(entry.Profile);
        }

        public ValueTask<SpeakerProfile> PutAsync(SpeakerDefinition definition, CancellationToken cancellationToken = default)
        {
            var entry = owner._speakers.AddOrUpdate(id, _ => Entry(definition, 1), (_, old) => Entry(definition, old.Profile.Version + 1));
            Forget();
            return ValueTask.FromResult(entry.Profile);
        }

        public ValueTask<bool> DeleteAsync(CancellationToken cancellationToken = default)
        {
            var removed = owner._speakers.TryRemove(id, out _);
            Forget();
            return ValueTask.FromResult(removed);
        }

        public ValueTask<byte[]?> GetVoiceTableAsync(CancellationToken cancellationToken = default) =>
            ValueTask.FromResult(owner._speakers.GetValueOrDefault(id)?.VoiceTable);

        public ValueTask<SpeakerProfile?> SetVoiceTableAsync(byte[] table, CancellationToken cancellationToken = default)
        {
            while (owner._speakers.TryGetValue(id, out var old))
            {
                var p = old.Profile;
                var next = Entry(new SpeakerDefinition(p.BaseVoiceId, p.Speed, p.Pitch, p.Volume, p.EngineSpeaker, VoiceTable: table), p.Version + 1);
                if (owner._speakers.TryUpdate(id, next, old))
                {
                    Forget();
                    return ValueTask.FromResult<SpeakerProfile?>(next.Profile);
                }
            }
            return ValueTask.FromResult<SpeakerProfile?>(null);
        }

        public async ValueTask<SpeakerEmbedding?> GetEmbeddingAsync(CancellationToken cancellationToken = default)
        {
            if (!owner._speakers.TryGetValue(id, out var entry)) return null;
            var lazy = owner._embeddings.GetOrAdd(EmbeddingKey(entry.Profile),
                _ => new Lazy<Task<SpeakerEmbedding>>(() => owner._computer.ComputeAsync(new SpeakerSource(entry.Profile, entry.VoiceTable), CancellationToken.None).AsTask()));
            try
            {
                return await lazy.Value.WaitAsync(cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // A failed computation (a blended table removed by a reload) is tried again by the next request.
                owner._embeddings.TryRemove(new KeyValuePair<string, Lazy<Task<SpeakerEmbedding>>>(EmbeddingKey(entry.Profile), lazy));
                throw;
            }
        }

        private void Forget()
        {
            foreach (var key in owner._embeddings.Keys.Where(k => k.StartsWith(id + "@", StringComparison.Ordinal))) owner._embeddings.TryRemove(key, out _);
        }

        private Entry Entry(SpeakerDefinition d, long version) =>
            new(new SpeakerProfile(id, d.BaseVoiceId, d.Speed, d.Pitch, d.Volume, d.EngineSpeaker, version, owner._clock.GetUtcNow(), d.Blend,
                d.VoiceTable is null ? null : SpeakerVoiceTable.Of(d.VoiceTable)), d.VoiceTable);
    }
}

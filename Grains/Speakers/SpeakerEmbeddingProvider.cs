using System.Text.Json;
using Orleans.Tts.Speakers;

namespace Orleans.Tts.Grains.Speakers;

/// <summary>
/// Extension point: computes a speaker's embedding from its profile. Engines with real speaker
/// representations (a Kokoro style-table blend, a Piper multi-speaker id) register their own provider;
/// the first provider whose <see cref="CanCompute"/> accepts the profile is used. Expensive work belongs
/// here: the directory runs it once per speaker version for the whole cluster.
/// </summary>
public interface ISpeakerEmbeddingProvider
{
    string Kind { get; }
    bool CanCompute(SpeakerProfile profile);
    ValueTask<byte[]> ComputeAsync(SpeakerProfile profile, CancellationToken cancellationToken);
}

/// <summary>The fallback for voices without speaker embeddings (eSpeak): the resolved voice parameters.</summary>
public sealed class VoiceParameterEmbeddingProvider : ISpeakerEmbeddingProvider
{
    public string Kind => "voice-parameters";
    public bool CanCompute(SpeakerProfile profile) => true;

    public ValueTask<byte[]> ComputeAsync(SpeakerProfile profile, CancellationToken cancellationToken) =>
        ValueTask.FromResult(JsonSerializer.SerializeToUtf8Bytes(new
        {
            voice = profile.BaseVoiceId, speed = profile.Speed, pitch = profile.Pitch, volume = profile.Volume, engineSpeaker = profile.EngineSpeaker,
        }));
}

/// <summary>Picks the provider for a profile and counts computations (tests and logs).</summary>
public sealed class SpeakerEmbeddings(IEnumerable<ISpeakerEmbeddingProvider> providers)
{
    private readonly IReadOnlyList<ISpeakerEmbeddingProvider> _providers = providers.OrderBy(p => p is VoiceParameterEmbeddingProvider ? 1 : 0).ToList();
    private int _computed;
    public int Computed => Volatile.Read(ref _computed);

    public async ValueTask<SpeakerEmbedding> ComputeAsync(SpeakerProfile profile, CancellationToken ct)
    {
        var provider = _providers.FirstOrDefault(p => p.CanCompute(profile)) ?? new VoiceParameterEmbeddingProvider();
        var data = await provider.ComputeAsync(profile, ct);
        Interlocked.Increment(ref _computed);
        return new SpeakerEmbedding(profile.Id, profile.Version, provider.Kind, data);
    }
}

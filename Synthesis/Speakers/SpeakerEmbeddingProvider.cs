using System.Text.Json;
using Orleans.Tts.Speakers;

namespace Orleans.Tts.Synthesis.Speakers;

/// <summary>What a speaker's embedding is computed from: its profile and, when it has one, its uploaded voice table.</summary>
public sealed record SpeakerSource(SpeakerProfile Profile, byte[]? VoiceTable = null);

/// <summary>
/// Extension point: computes a speaker's embedding from its profile. Engines with real speaker
/// representations (the Kokoro style table) register their own provider; the first provider whose
/// <see cref="CanCompute"/> accepts the profile is used. Expensive work belongs here: the speaker's grain runs
/// it once per speaker version for the whole cluster.
/// </summary>
public interface ISpeakerEmbeddingProvider
{
    string Kind { get; }
    bool CanCompute(SpeakerProfile profile);
    ValueTask<byte[]> ComputeAsync(SpeakerSource source, CancellationToken cancellationToken);
}

/// <summary>The fallback for voices without speaker embeddings (eSpeak, Piper): the resolved voice parameters.</summary>
public sealed class VoiceParameterEmbeddingProvider : ISpeakerEmbeddingProvider
{
    public string Kind => "voice-parameters";
    public bool CanCompute(SpeakerProfile profile) => true;

    public ValueTask<byte[]> ComputeAsync(SpeakerSource source, CancellationToken cancellationToken)
    {
        var profile = source.Profile;
        return ValueTask.FromResult(JsonSerializer.SerializeToUtf8Bytes(new
        {
            voice = profile.BaseVoiceId, speed = profile.Speed, pitch = profile.Pitch, volume = profile.Volume, engineSpeaker = profile.EngineSpeaker,
        }));
    }
}

/// <summary>Picks the provider for a profile.</summary>
public sealed class SpeakerEmbeddings(IEnumerable<ISpeakerEmbeddingProvider> providers)
{
    private readonly IReadOnlyList<ISpeakerEmbeddingProvider> _providers = providers.OrderBy(p => p is VoiceParameterEmbeddingProvider ? 1 : 0).ToList();

    public async ValueTask<SpeakerEmbedding> ComputeAsync(SpeakerSource source, CancellationToken ct)
    {
        var provider = _providers.FirstOrDefault(p => p.CanCompute(source.Profile)) ?? new VoiceParameterEmbeddingProvider();
        var data = await provider.ComputeAsync(source, ct);
        return new SpeakerEmbedding(source.Profile.Id, source.Profile.Version, provider.Kind, data);
    }
}

namespace Orleans.Tts.Speakers;

/// <summary>All speakers of the cluster; hands out one grain per speaker id.</summary>
public interface ISpeakerDirectory
{
    ISpeakerGrain GetSpeaker(string speakerId);
    ValueTask<IReadOnlyList<SpeakerProfile>> ListAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// One named speaker profile (a base voice plus parameters). Its embedding is computed once
/// for the cluster (even when many silos ask at once) and cached per silo.
/// </summary>
public interface ISpeakerGrain
{
    string SpeakerId { get; }
    ValueTask<SpeakerProfile?> GetAsync(CancellationToken cancellationToken = default);
    /// <summary>Creates the speaker; throws <see cref="SpeakerConflictException"/> when the id is taken.</summary>
    ValueTask<SpeakerProfile> CreateAsync(SpeakerDefinition definition, CancellationToken cancellationToken = default);
    /// <summary>Creates or replaces the speaker; the version is incremented and the embedding recomputed on next use.</summary>
    ValueTask<SpeakerProfile> PutAsync(SpeakerDefinition definition, CancellationToken cancellationToken = default);
    ValueTask<bool> DeleteAsync(CancellationToken cancellationToken = default);
    /// <summary>The speaker's embedding for its current version, computed once for the cluster; null when there is no such speaker.</summary>
    ValueTask<SpeakerEmbedding?> GetEmbeddingAsync(CancellationToken cancellationToken = default);
}

/// <summary>What a client sets on a speaker.</summary>
/// <param name="BaseVoiceId">Voice the speaker is built on.</param>
/// <param name="Speed">Speed multiplier (0.25–4).</param>
/// <param name="Pitch">Pitch shift in semitones (−12 to +12).</param>
/// <param name="Volume">Gain (0.1–2).</param>
/// <param name="EngineSpeaker">Engine-specific speaker: a Piper speaker id, a Kokoro blend (<c>af_bella:0.6+af_sky:0.4</c>); null for eSpeak.</param>
public sealed record SpeakerDefinition(string BaseVoiceId, double Speed = 1.0, double Pitch = 0.0, double Volume = 1.0, string? EngineSpeaker = null)
{
    public const double MinVolume = 0.1, MaxVolume = 2.0;
}

/// <param name="Id">Speaker id; used as <c>speaker:&lt;id&gt;</c>.</param>
/// <param name="Version">Incremented on every change; part of cache keys.</param>
public sealed record SpeakerProfile(string Id, string BaseVoiceId, double Speed = 1.0, double Pitch = 0.0, double Volume = 1.0,
    string? EngineSpeaker = null, long Version = 1, DateTimeOffset? UpdatedAt = null)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public SpeakerDefinition Definition => new(BaseVoiceId, Speed, Pitch, Volume, EngineSpeaker);
}

/// <summary>An engine-computed speaker representation (e.g. a style vector), opaque to everything but its engine.</summary>
/// <param name="Kind">Which provider made it (<c>voice-parameters</c>, later <c>kokoro-style</c>, <c>piper-sid</c>).</param>
public sealed record SpeakerEmbedding(string SpeakerId, long Version, string Kind, byte[] Data);

public sealed class SpeakerConflictException(string speakerId)
    : Exception($"A speaker '{speakerId}' already exists; PUT /v1/speakers/{speakerId} replaces it.")
{
    public string SpeakerId { get; } = speakerId;
}

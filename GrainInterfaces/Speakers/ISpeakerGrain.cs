namespace Orleans.Tts.Speakers;

/// <summary>
/// One named speaker profile (a base voice plus parameters). Its embedding is computed once
/// for the cluster and cached per silo (issue 4).
/// </summary>
public interface ISpeakerGrain
{
    string SpeakerId { get; }
    ValueTask<SpeakerProfile?> GetAsync(CancellationToken cancellationToken = default);
    ValueTask<SpeakerProfile> PutAsync(SpeakerProfile profile, CancellationToken cancellationToken = default);
    ValueTask<bool> DeleteAsync(CancellationToken cancellationToken = default);
}

/// <param name="Id">Speaker id; used as <c>speaker:&lt;id&gt;</c>.</param>
/// <param name="BaseVoiceId">Voice the speaker is built on.</param>
/// <param name="Speed">Default speed multiplier.</param>
/// <param name="Pitch">Default pitch shift in semitones.</param>
/// <param name="Version">Incremented on every change; part of cache keys.</param>
public sealed record SpeakerProfile(string Id, string BaseVoiceId, double Speed = 1.0, double Pitch = 0.0, long Version = 1);

using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Tts.Speakers;
using Orleans.Tts.Synthesis.Speakers;

namespace Orleans.Tts.Grains.Speakers;

/// <summary>A speaker's persisted state: its profile and uploaded table, or (after a delete) only the last version issued.</summary>
[GenerateSerializer, Alias("tts.SpeakerState")]
public sealed class SpeakerState
{
    [Id(0)] public SpeakerProfile? Profile { get; set; }
    [Id(1)] public byte[]? VoiceTable { get; set; }

    /// <summary>
    /// The last version issued, kept after a delete: silos cache embeddings and results by (id, version) without
    /// invalidation, so a speaker created again under the same id must never reuse a version.
    /// </summary>
    [Id(2)] public long Version { get; set; }
}

/// <summary>
/// One speaker (<see cref="ISpeakerGrain"/>), its profile in the <c>tts</c> grain storage (Redis in a cluster, memory in
/// the embedded default). The embedding is computed here once per version and kept in the activation: requests are
/// handled one at a time, so callers that arrive during the computation find it done. After a deactivation it is computed
/// again on first use (a blend of at most 8 tables), which also picks up tables changed by a model reload.
/// </summary>
public sealed class SpeakerGrain(
    [PersistentState("speaker", GrainStorage.Name)] IPersistentState<SpeakerState> state,
    SpeakerEmbeddings embeddings, TimeProvider clock, ILogger<SpeakerGrain> logger) : Grain, ISpeakerGrain
{
    private SpeakerEmbedding? _embedding;

    private string Id => this.GetPrimaryKeyString();
    private ISpeakerIndexGrain Index => GrainFactory.GetGrain<ISpeakerIndexGrain>(0);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Repairs the index when an earlier write reached the speaker's state but not the index.
        if (state.State.Profile is { } profile) await Index.SetAsync(profile);
    }

    public ValueTask<SpeakerProfile?> GetAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(state.State.Profile);

    public async ValueTask<SpeakerProfile?> CreateAsync(SpeakerDefinition definition, CancellationToken cancellationToken = default) =>
        state.State.Profile is null ? await WriteAsync(definition) : null;

    public ValueTask<SpeakerProfile> PutAsync(SpeakerDefinition definition, CancellationToken cancellationToken = default) => WriteAsync(definition);

    public async ValueTask<SpeakerProfile?> SetVoiceTableAsync(byte[] table, CancellationToken cancellationToken = default) =>
        state.State.Profile is { } p ? await WriteAsync(new SpeakerDefinition(p.BaseVoiceId, p.Speed, p.Pitch, p.Volume, p.EngineSpeaker, VoiceTable: table)) : null;

    public ValueTask<byte[]?> GetVoiceTableAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(state.State.VoiceTable);

    public async ValueTask<bool> DeleteAsync(CancellationToken cancellationToken = default)
    {
        if (state.State.Profile is null) return false;
        // The index first: a failure after it leaves a speaker that is not listed, which its next activation lists again.
        await Index.RemoveAsync(Id);
        state.State.Profile = null;
        state.State.VoiceTable = null;
        _embedding = null;
        await PersistAsync();
        logger.LogInformation("Speaker {Speaker} deleted (last version {Version})", Id, state.State.Version);
        return true;
    }

    public async ValueTask<SpeakerEmbedding?> GetEmbeddingAsync(CancellationToken cancellationToken = default)
    {
        if (state.State.Profile is not { } profile) return null;
        if (_embedding?.Version == profile.Version) return _embedding;
        // A failure (a blended table gone after a reload) is not kept: the next request tries again.
        _embedding = await embeddings.ComputeAsync(new SpeakerSource(profile, state.State.VoiceTable), cancellationToken);
        logger.LogInformation("Speaker {Speaker} embedding ({Kind}) computed for version {Version}", Id, _embedding.Kind, profile.Version);
        return _embedding;
    }

    private async ValueTask<SpeakerProfile> WriteAsync(SpeakerDefinition d)
    {
        var version = state.State.Version + 1;
        var profile = new SpeakerProfile(Id, d.BaseVoiceId, d.Speed, d.Pitch, d.Volume, d.EngineSpeaker, version, clock.GetUtcNow(), d.Blend,
            d.VoiceTable is null ? null : SpeakerVoiceTable.Of(d.VoiceTable));
        (state.State.Profile, state.State.VoiceTable, state.State.Version) = (profile, d.VoiceTable, version);
        _embedding = null;
        // The state first: a failure after it leaves the index behind, which the next activation repairs.
        await PersistAsync();
        await Index.SetAsync(profile);
        logger.LogInformation("Speaker {Speaker} written (version {Version})", Id, version);
        return profile;
    }

    private async Task PersistAsync()
    {
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception e)
        {
            // This activation's state may now differ from the stored one (or the stored ETag): the next request reads it anew.
            DeactivateOnIdle();
            logger.LogWarning(e, "Speaker {Speaker} not saved", Id);
            throw new SpeakerStorageException($"The speaker store did not save speaker '{Id}' ({e.GetType().Name}: {e.Message}).");
        }
    }
}

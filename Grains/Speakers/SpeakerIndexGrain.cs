using Orleans.Runtime;
using Orleans.Tts.Speakers;

namespace Orleans.Tts.Grains.Speakers;

[GenerateSerializer, Alias("tts.SpeakerIndexState")]
public sealed class SpeakerIndexState
{
    [Id(0)] public Dictionary<string, SpeakerProfile> Speakers { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The speaker list (<see cref="ISpeakerIndexGrain"/>): every speaker's profile (without its voice table: a few hundred bytes,
/// so about 3 MB for 10,000 speakers), persisted in the <c>tts</c> grain storage and written only when a speaker changes.
/// </summary>
public sealed class SpeakerIndexGrain([PersistentState("speakers", GrainStorage.Name)] IPersistentState<SpeakerIndexState> state)
    : Grain, ISpeakerIndexGrain
{
    // Sorted once per change, not per listing.
    private IReadOnlyList<SpeakerProfile>? _sorted;

    public ValueTask<IReadOnlyList<SpeakerProfile>> ListAsync() =>
        ValueTask.FromResult(_sorted ??= state.State.Speakers.Values.OrderBy(p => p.Id, StringComparer.Ordinal).ToArray());

    public ValueTask<int> CountAsync() => ValueTask.FromResult(state.State.Speakers.Count);

    public async ValueTask SetAsync(SpeakerProfile profile)
    {
        if (state.State.Speakers.TryGetValue(profile.Id, out var known) && known.Version == profile.Version && known.UpdatedAt == profile.UpdatedAt) return;
        state.State.Speakers[profile.Id] = profile;
        await PersistAsync();
    }

    public async ValueTask RemoveAsync(string speakerId)
    {
        if (state.State.Speakers.Remove(speakerId)) await PersistAsync();
    }

    private async Task PersistAsync()
    {
        _sorted = null;
        try
        {
            await state.WriteStateAsync();
        }
        catch (Exception e)
        {
            DeactivateOnIdle(); // the next activation reads the stored list again
            throw new SpeakerStorageException($"The speaker store did not save the speaker list ({e.GetType().Name}: {e.Message}).");
        }
    }
}

namespace Orleans.Tts.Grains.Jobs;

public static class OwnedState
{
    /// <summary>
    /// Writes state that only this activation writes (a job's progress, the job index). A write that lost its ETag — its reply
    /// lost in a Redis outage, so the stored ETag moved on without this activation seeing it — re-reads the ETag and writes
    /// again: what the only writer holds in memory is the truth.
    /// </summary>
    public static async Task WriteOwnedAsync<T>(this IPersistentState<T> state)
    {
        try { await state.WriteStateAsync(); }
        catch (Orleans.Storage.InconsistentStateException)
        {
            var mine = state.State;
            await state.ReadStateAsync();
            state.State = mine;
            await state.WriteStateAsync();
        }
    }
}

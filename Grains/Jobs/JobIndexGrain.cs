using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Tts.Jobs;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// The one authority over the cluster's jobs (<see cref="IJobIndexGrain"/>, key 0): submissions are decided here one at a time
/// (an admission is in memory before this grain awaits anything, so interleaved calls see it), the accounting persists in the
/// <c>tts</c> grain storage, and every ping wakes the active jobs and sweeps expired results. If its silo dies, the next ping
/// from any process re-activates it on a live silo from storage; a one-minute reminder does the same if no process pings.
/// </summary>
[Reentrant]
public sealed class JobIndexGrain([PersistentState("jobindex", GrainStorage.Name)] IPersistentState<JobIndexState> state, JobOptions options,
    TimeProvider clock, ILogger<JobIndexGrain> logger) : Grain, IJobIndexGrain, IRemindable
{
    // Short: a wake-up that hangs on a silo not yet declared dead must not hold up the next sweep for long.
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(5);
    private JobLedger _ledger = null!;
    private Task _sweep = Task.CompletedTask;
    private readonly SemaphoreSlim _saving = new(1, 1);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _ledger = new JobLedger(state.State, options);
        logger.LogInformation("Job index active: {Jobs} jobs, {Active} active", _ledger.Jobs.Count, _ledger.Active().Count);
        try { await this.RegisterOrUpdateReminder("wake", TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(1)); }
        catch (Exception e) { logger.LogWarning("Could not register the job index's reminder ({Error}); pings still wake it", e.GetBaseException().Message); }
    }

    public async Task<JobAdmission> ReserveAsync(JobReservation reservation)
    {
        try { _ledger.Reserve(reservation, clock.GetUtcNow()); }
        catch (Exception e) when (e is JobBacklogFullException or JobStorageFullException or JobTooLargeException)
        {
            return JobAdmission.From(e);
        }
        try { await SaveAsync(); }
        catch
        {
            _ledger.Remove(reservation.Id);
            throw;
        }
        return new JobAdmission(JobAdmissionOutcome.Accepted);
    }

    public async Task ReportAsync(JobUsageReport report)
    {
        if (!_ledger.Apply(report)) return;
        // Progress alone is not saved: after a restart the jobs' own reports bring it back; a state change is.
        try { await SaveAsync(); }
        catch (Exception e) { logger.LogWarning("Saving the job index failed ({Error}); the next change saves it", e.GetBaseException().Message); }
    }

    public Task<JobBacklog> GetBacklogAsync() => Task.FromResult(_ledger.Backlog());

    public Task PingAsync()
    {
        // One sweep at a time; a ping during one returns at once (pings come every poll interval from every process).
        if (_sweep.IsCompleted) _sweep = SweepAsync();
        return Task.CompletedTask;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => PingAsync();

    private async Task SweepAsync()
    {
        var now = clock.GetUtcNow();
        var changed = false;
        var abandoned = _ledger.Abandoned(now).ToHashSet();
        await Task.WhenAll(_ledger.Active().Select(async id =>
        {
            try
            {
                var report = await GrainFactory.GetGrain<IJobGrain>(id).WakeAsync().WaitAsync(CallTimeout);
                if (report is not null) changed |= _ledger.Apply(report);
                else if (abandoned.Contains(id))
                {
                    _ledger.Remove(id);
                    changed = true;
                }
            }
            catch (Exception e) { logger.LogDebug("Waking job {Job} failed ({Error})", id, e.GetBaseException().Message); }
        }));
        changed |= await EachAsync(_ledger.Expired(now), job => job.PurgeAsync(), id =>
        {
            _ledger.MarkPurged(id);
            logger.LogInformation("Deleted the expired result of job {Job}", id);
        });
        changed |= await EachAsync(_ledger.Forgotten(now), job => job.ForgetAsync(), _ledger.Remove);
        if (!changed) return;
        try { await SaveAsync(); }
        catch (Exception e) { logger.LogWarning("Saving the job index failed ({Error}); the next sweep saves it", e.GetBaseException().Message); }
    }

    /// <summary>Calls each job's grain in turn and records the jobs that answered; true when any did.</summary>
    private async Task<bool> EachAsync(IReadOnlyList<string> ids, Func<IJobGrain, Task> call, Action<string> done)
    {
        var any = false;
        foreach (var id in ids)
        {
            try
            {
                await call(GrainFactory.GetGrain<IJobGrain>(id)).WaitAsync(CallTimeout);
                done(id);
                any = true;
            }
            catch (Exception e) { logger.LogDebug("Sweeping job {Job} failed ({Error}); the next sweep tries again", id, e.GetBaseException().Message); }
        }
        return any;
    }

    /// <summary>One write at a time: the grain is reentrant.</summary>
    private async Task SaveAsync()
    {
        await _saving.WaitAsync();
        try
        {
            await state.WriteOwnedAsync();
        }
        finally { _saving.Release(); }
    }
}

using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.Tts.Cluster;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Jobs;
using Orleans.Tts.Streams;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// One job (<see cref="IJobGrain"/>). Its input is stored once; its progress (a few bytes per unit) on every change. While the
/// job is active the grain drives it: each pending unit goes to the synthesis grain of a live silo with background capacity
/// (<see cref="JobUnitScheduler"/>), and a call that fails because that silo was declared dead puts the unit back. The
/// grain holds no lease: liveness is Orleans membership's, and after this grain's own silo dies the index's next ping
/// re-activates it elsewhere from storage. Reentrant: status reads and cancels interleave with the driving loop.
/// </summary>
[Reentrant]
public sealed class JobGrain(
    [PersistentState("jobinput", GrainStorage.Name)] IPersistentState<JobInputState> input,
    [PersistentState("jobprogress", GrainStorage.Name)] IPersistentState<JobProgressState> progress,
    IJobAudioStore audio, JobOptions options, ISiloDirectory silos, TtsClusterOptions cluster, TimeProvider clock, ILogger<JobGrain> logger)
    : Grain, IJobGrain
{
    private readonly SemaphoreSlim _saving = new(1, 1);
    private CancellationTokenSource? _stop;
    private Task _driver = Task.CompletedTask;
    /// <summary>Progress changed in memory but is not stored yet (storage was unavailable).</summary>
    private bool _dirty;

    private string Id => this.GetPrimaryKeyString();
    private JobInput? Input => input.State.Input;
    private JobProgressState Progress => progress.State;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (Input is null) return Task.CompletedTask;
        logger.LogInformation("Job {Job} active on silo {Silo} ({State}, {Done}/{Total} units)", Id, cluster.Self.Id, Progress.State, Progress.DoneUnits, Input.Units.Count);
        // Re-activated (its previous silo died or it was collected): whatever call brought it here, it resumes.
        Drive();
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_stop is not null) await _stop.CancelAsync();
    }

    public async Task<JobAdmission> CreateAsync(JobInput job)
    {
        if (Input is not null) return new JobAdmission(JobAdmissionOutcome.Accepted, Record());
        var admission = await Index.ReserveAsync(new JobReservation(Id, job.Spec, job.Estimate, job.Units.Count, job.TotalSentences, job.CreatedAt));
        if (admission.Outcome != JobAdmissionOutcome.Accepted) return admission;
        // Without words the units' text is all that is needed: the spec's copy is not stored again. With words the input is kept
        // whole, so captions show it as written (what lies between the units' sentences too).
        input.State.Input = job.Spec.Words ? job : job with { Spec = job.Spec with { Input = "" } };
        await input.WriteStateAsync();
        progress.State = JobProgressState.Start(job.Units.Count, job.CreatedAt);
        await progress.WriteStateAsync();
        logger.LogInformation("Job {Job} accepted on silo {Silo}: {Units} units", Id, cluster.Self.Id, job.Units.Count);
        await ReportAsync();
        await PublishAsync();
        Drive();
        return admission with { Record = Record() };
    }

    public Task<JobRecord?> GetAsync() => Task.FromResult(Input is null ? null : Record());

    public async Task<JobRecord?> CancelAsync()
    {
        if (Input is null) return null;
        if (!Progress.State.IsActive()) return Record();
        Progress.Finish(JobState.Cancelled, null, clock.GetUtcNow(), options.Ttl);
        if (_stop is not null) await _stop.CancelAsync();
        // Units of this job may run on silos this activation never called (sent by an earlier activation): tell every silo.
        await Task.WhenAll(silos.Gateways.Select(async silo =>
        {
            try { await GrainFactory.GetGrain<ISynthesisGrain>(silo.Id).CancelJobAsync(Id).WaitAsync(TimeSpan.FromSeconds(5)); }
            catch (Exception e) { logger.LogDebug("Cancelling job {Job} on silo {Silo} failed ({Error})", Id, silo.Name, e.GetBaseException().Message); }
        }));
        try { await audio.DeleteAsync(Id); }
        catch (StorageUnavailableException) { } // its TTL removes it
        await SaveAsync(required: true);
        await ReportAsync();
        await PublishAsync();
        logger.LogInformation("Job {Job} cancelled", Id);
        return Record();
    }

    public Task<JobAudioIndex?> GetAudioIndexAsync() => Task.FromResult(
        Input is not null && Progress.State == JobState.Succeeded && !Progress.Purged ? new JobAudioIndex(Progress.SampleRate ?? 0, Progress.UnitSamples) : null);

    public Task<JobCaptionSource?> GetCaptionSourceAsync() => Task.FromResult(
        Input is { Spec.Words: true } job && Progress.State == JobState.Succeeded && !Progress.Purged
            ? new JobCaptionSource(new JobAudioIndex(Progress.SampleRate ?? 0, Progress.UnitSamples), job.Spec.Input) : null);

    public Task<JobUsageReport?> WakeAsync()
    {
        if (Input is null) return Task.FromResult<JobUsageReport?>(null);
        if (Progress.State.IsActive()) Drive();
        return Task.FromResult<JobUsageReport?>(Usage());
    }

    public async Task PurgeAsync()
    {
        if (Input is null || Progress.State.IsActive() || Progress.Purged) return;
        await audio.DeleteAsync(Id);
        Progress.Purged = true;
        await SaveAsync(required: true);
        await PublishAsync();
    }

    public async Task ForgetAsync()
    {
        if (_stop is not null) await _stop.CancelAsync();
        await input.ClearStateAsync();
        await progress.ClearStateAsync();
        DeactivateOnIdle();
    }

    private IJobIndexGrain Index => GrainFactory.GetGrain<IJobIndexGrain>(0);

    private JobRecord Record() => Progress.Record(Id, Input!);

    private JobUsageReport Usage() => new(Record(), Progress.DoneUnits, Input!.Units.Count, Progress.StoredBytes, Input.Estimate);

    /// <summary>Starts the driving loop unless it runs.</summary>
    private void Drive()
    {
        if (!_driver.IsCompleted || !Progress.State.IsActive()) return;
        _stop?.Dispose();
        _stop = new CancellationTokenSource();
        _driver = DriveAsync(_stop.Token);
    }

    private async Task DriveAsync(CancellationToken stop)
    {
        var scheduler = new JobUnitScheduler(options.MaxWorkers);
        var running = new Dictionary<Task<JobUnitResult>, (int Index, string Silo)>();
        try
        {
            while (!stop.IsCancellationRequested && Progress.State.IsActive())
            {
                if (_dirty) await SaveAsync(required: false);
                if (Progress.AllDone)
                {
                    await FinishAsync(JobState.Succeeded, null);
                    break;
                }
                var now = clock.GetUtcNow();
                var busy = running.Values.Select(r => r.Index).ToHashSet();
                foreach (var index in Progress.Pending().Where(i => !busy.Contains(i)))
                {
                    if (scheduler.Pick(silos.Gateways, now) is not { } silo) break;
                    var task = GrainFactory.GetGrain<ISynthesisGrain>(silo.Id).RunJobUnitAsync(Work(index, now), stop);
                    running[task] = (index, silo.Id);
                    if (Progress.State == JobState.Queued)
                    {
                        Progress.MarkRunning(now);
                        await SaveAsync(required: false);
                        await PublishAsync();
                        await ReportAsync();
                    }
                }
                // Wakes on a finished unit, or soon to try silos that were busy (or to see new ones).
                await Task.WhenAny(running.Keys.Append(Task.Delay(running.Count == 0 ? TimeSpan.FromMilliseconds(200) : TimeSpan.FromSeconds(1), clock, stop)));
                foreach (var (task, (index, siloId)) in running.Where(r => r.Key.IsCompleted).ToList())
                {
                    running.Remove(task);
                    scheduler.Finished(siloId);
                    await HandleAsync(index, siloId, task, scheduler);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { }
        catch (Exception e) { logger.LogWarning(e, "Job {Job}: driving stopped; the next wake-up resumes it", Id); }
    }

    private async Task HandleAsync(int index, string siloId, Task<JobUnitResult> task, JobUnitScheduler scheduler)
    {
        var now = clock.GetUtcNow();
        JobUnitResult result;
        try { result = await task; }
        catch (Exception e) when (e is OperationCanceledException && !Progress.State.IsActive()) { return; }
        catch (Exception e)
        {
            // The silo died (declared dead by membership), left, or the call timed out: run the unit elsewhere; not the unit's fault.
            logger.LogWarning("Job {Job} unit {Unit} on silo {Silo} did not answer ({Error}); it runs again", Id, index, silos.Names.GetValueOrDefault(siloId, siloId), e.GetBaseException().Message);
            scheduler.Avoid(siloId, now + TimeSpan.FromSeconds(2));
            return;
        }
        switch (result.Outcome)
        {
            case JobUnitOutcome.Done:
                if (!Progress.CompleteUnit(index, result.Samples, result.SampleRate, Input!.Units[index].Sentences, now)) return;
                await SaveAsync(required: false);
                await PublishAsync();
                await ReportAsync();
                break;
            case JobUnitOutcome.Busy or JobUnitOutcome.Draining:
                scheduler.Avoid(siloId, now + (result.RetryAfter > TimeSpan.Zero ? result.RetryAfter : TimeSpan.FromMilliseconds(200)));
                break;
            case JobUnitOutcome.UnknownVoice:
                await FinishAsync(JobState.Failed, $"The voice '{Input!.Spec.VoiceId}' is not available on the silos: {result.Error}");
                break;
            case JobUnitOutcome.Failed:
                logger.LogWarning("Job {Job} unit {Unit} failed on silo {Silo}: {Error}", Id, index, siloId, result.Error);
                if (Progress.Fail(index, options.MaxAttempts)) await FinishAsync(JobState.Failed, $"Synthesis failed {options.MaxAttempts} times: {result.Error}");
                break;
        }
    }

    private JobUnitWork Work(int index, DateTimeOffset now)
    {
        var spec = Input!.Spec;
        // Until the job ends (its result's TTL is set then), the audio outlives any plausible run, so an abandoned job's audio still goes.
        return new JobUnitWork(Id, index, Input.Units[index].Text, spec.VoiceId, spec.SpeakerId, spec.Speed, spec.Pitch, spec.Volume,
            now + options.Ttl + TimeSpan.FromDays(1), spec.Words ? Input.Units[index].LineStarts : null);
    }

    private async Task FinishAsync(JobState state, string? error)
    {
        Progress.Finish(state, error, clock.GetUtcNow(), options.Ttl);
        try
        {
            if (state == JobState.Succeeded) await audio.ExpireAsync(Id, Progress.ExpiresAt!.Value);
            else await audio.DeleteAsync(Id);
        }
        catch (StorageUnavailableException) { } // the index's sweep deletes it when it expires
        await SaveAsync(required: false);
        await PublishAsync();
        await ReportAsync();
        if (state == JobState.Succeeded)
            logger.LogInformation("Job {Job} succeeded: {Sentences} sentences, {Seconds:0.0} s of audio", Id, Progress.DoneSentences,
                (double)(Progress.TotalSamples ?? 0) / Math.Max(1, Progress.SampleRate ?? 1));
        else logger.LogWarning("Job {Job} {State}: {Error}", Id, state, error);
    }

    /// <summary>
    /// Stores the progress, one write at a time (this activation is its only writer). Without <paramref name="required"/> a
    /// storage outage only marks it unsaved (the loop saves it when storage is back; the job pauses meanwhile).
    /// </summary>
    private async Task SaveAsync(bool required)
    {
        await _saving.WaitAsync();
        try
        {
            await progress.WriteOwnedAsync();
            _dirty = false;
        }
        catch (Exception e) when (!required)
        {
            _dirty = true;
            logger.LogWarning("Job {Job}: storing progress failed ({Error}); retrying", Id, e.GetBaseException().Message);
            await Task.Delay(TimeSpan.FromSeconds(1), clock);
        }
        finally { _saving.Release(); }
    }

    /// <summary>Every change to the job's stream: watchers on any silo or client see it (a missed one is caught up by their next read).</summary>
    private async Task PublishAsync()
    {
        try
        {
            await this.GetStreamProvider(TtsStreams.Provider).GetStream<JobRecord>(StreamId.Create(TtsStreams.Jobs, Id)).OnNextAsync(Record());
        }
        catch (Exception e) { logger.LogDebug("Publishing job {Job} failed ({Error})", Id, e.GetBaseException().Message); }
    }

    private async Task ReportAsync()
    {
        try { await Index.ReportAsync(Usage()); }
        catch (Exception e) { logger.LogDebug("Reporting job {Job} to the index failed ({Error}); its next wake-up reports it", Id, e.GetBaseException().Message); }
    }
}

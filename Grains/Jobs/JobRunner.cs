using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Cluster;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Synthesis.Workers;
using Orleans.Tts.Jobs;
using Orleans.Tts.Speakers;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// Runs job units on this silo in the worker pool's background lane: at most <see cref="JobOptions.MaxWorkers"/> units at
/// once, each sentence on a worker taken only when it is free and no interactive request waits. A unit is claimed only
/// while a worker is free here (a busy silo leaves the work to idle ones); its lease is renewed while it runs and on every
/// change of its job, and a lost lease or a cancelled job stops it before the next sentence.
/// </summary>
public sealed class JobRunner(IJobQueue queue, IJobStore jobs, SynthesisWorkerPool pool, JobOptions options, TtsClusterOptions cluster,
    ISiloActivity activity, ILogger<JobRunner> logger) : BackgroundService
{
    private readonly HashSet<Task> _running = [];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var capacity = new SemaphoreSlim(options.MaxWorkers, options.MaxWorkers);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await capacity.WaitAsync(stoppingToken);
                var unit = await TryClaimAsync(stoppingToken);
                if (unit is null)
                {
                    capacity.Release();
                    await queue.WaitForWorkAsync(options.PollInterval, stoppingToken);
                    continue;
                }
                var task = Task.Run(() => RunUnitAsync(unit, stoppingToken), CancellationToken.None);
                lock (_running) _running.Add(task);
                _ = task.ContinueWith(t =>
                {
                    lock (_running) _running.Remove(t);
                    capacity.Release();
                }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        Task[] left;
        lock (_running) left = [.. _running];
        await Task.WhenAll(left);
    }

    private async Task<JobUnitLease?> TryClaimAsync(CancellationToken ct)
    {
        var status = pool.Status;
        if (activity.Draining || !status.Ready || status.Queued > 0 || status.Running >= status.Parallelism) return null;
        try
        {
            return await queue.TryClaimAsync(cluster.Self.Id, options.Lease, ct);
        }
        catch (StorageUnavailableException) { return null; }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "Claiming a job unit failed");
            return null;
        }
    }

    private async Task RunUnitAsync(JobUnitLease unit, CancellationToken stoppingToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        using var finished = new CancellationTokenSource();
        var watcher = WatchAsync(unit, stop, finished.Token);
        if (unit.Index == 0 && unit.Attempt == 1) logger.LogInformation("Job {Job} started on silo {Silo}", unit.JobId, cluster.Self.Id);
        else if (unit.Attempt > 1) logger.LogWarning("Job {Job} unit {Unit} re-run on silo {Silo} (try {Attempt})", unit.JobId, unit.Index, cluster.Self.Id, unit.Attempt);
        try
        {
            // The pool reads the speaker's current embedding (computed once for the cluster) by id.
            var speaker = unit.SpeakerId is { } id ? new SpeakerRef(id, 0) : null;
            var request = new SynthesisRequest(unit.Text, unit.VoiceId, unit.Speed, unit.Pitch, unit.Volume, speaker);
            var clips = new List<AudioClip>();
            await foreach (var clip in pool.StreamInBackgroundAsync(request, options.MaxWorkers, stop.Token)) clips.Add(clip);
            var rate = clips.Count > 0 ? clips[0].SampleRate : 0;
            var job = await queue.CompleteAsync(unit, clips.Count == 1 ? clips[0] : AudioClip.Concat(rate, clips), stoppingToken);
            if (job is null)
                logger.LogInformation("Job {Job} unit {Unit}: result discarded (the job was cancelled or another silo owns the unit)", unit.JobId, unit.Index);
            else if (job.State == JobState.Succeeded)
                logger.LogInformation("Job {Job} succeeded: {Sentences} sentences, {Seconds:0.0} s of audio", job.Id, job.TotalSentences,
                    (double)(job.TotalSamples ?? 0) / Math.Max(1, job.SampleRate ?? 1));
            else
                logger.LogDebug("Job {Job}: {Done}/{Total} sentences", job.Id, job.DoneSentences, job.TotalSentences);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await GiveBackAsync(unit, "the silo running it stopped", fatal: false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            logger.LogInformation("Job {Job} unit {Unit} stopped: the job was cancelled or the unit's lease was lost", unit.JobId, unit.Index);
        }
        catch (UnknownVoiceException e)
        {
            await GiveBackAsync(unit, $"The voice '{unit.VoiceId}' is not available on the silos: {e.Message}", fatal: true);
        }
        catch (Exception e) when (e is not StorageUnavailableException)
        {
            logger.LogWarning(e, "Job {Job} unit {Unit} failed on try {Attempt}", unit.JobId, unit.Index, unit.Attempt);
            await GiveBackAsync(unit, $"Synthesis failed {options.MaxAttempts} times: {e.Message}", fatal: false);
        }
        catch (StorageUnavailableException)
        {
            // The lease runs out and another silo (or this one, once PostgreSQL is back) runs the unit again.
        }
        finally
        {
            await finished.CancelAsync();
            await watcher;
        }
    }

    /// <summary>Renews the lease every third of its length and on every change of the job; cancels the unit when it is lost.</summary>
    private async Task WatchAsync(JobUnitLease unit, CancellationTokenSource stop, CancellationToken finished)
    {
        try
        {
            while (!finished.IsCancellationRequested)
            {
                await jobs.WaitForChangeAsync(unit.JobId, options.Lease / 3, finished);
                if (finished.IsCancellationRequested) return;
                bool held;
                try { held = await queue.RenewAsync(unit, options.Lease, finished); }
                catch (StorageUnavailableException) { continue; }
                if (!held)
                {
                    await stop.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (Exception e) { logger.LogWarning(e, "Renewing the lease of job {Job} unit {Unit} failed", unit.JobId, unit.Index); }
    }

    private async Task GiveBackAsync(JobUnitLease unit, string error, bool fatal)
    {
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await queue.ReleaseAsync(unit, error, fatal, timeout.Token);
            if (fatal) logger.LogWarning("Job {Job} failed: {Error}", unit.JobId, error);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Could not give back job {Job} unit {Unit}; its lease expires on its own", unit.JobId, unit.Index);
        }
    }
}

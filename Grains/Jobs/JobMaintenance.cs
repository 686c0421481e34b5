using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Cluster;
using Orleans.Tts.Jobs;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// In every process: pings the job index every poll interval (TTS_JOB_POLL_MS) — which re-activates it after its silo died and
/// has it wake the active jobs (so a job whose silo died resumes within about one interval of Orleans declaring the silo dead)
/// and delete expired results — and publishes the job backlog and the storage jobs hold (<see cref="JobUsage"/>, the
/// <c>tts_job_backlog</c> and <c>tts_job_storage_*</c> gauges) every <see cref="Interval"/>.
/// </summary>
public sealed class JobMaintenance(GrainJobStore store, JobUsage usage, JobOptions options, TtsMetrics metrics, ILogger<JobMaintenance> logger)
    : BackgroundService
{
    /// <summary>How often the backlog is read (and so how soon freed space shows in the Retry-After of a refusal).</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.PollInterval);
        var lastBacklog = DateTimeOffset.MinValue;
        do
        {
            try
            {
                await store.PingAsync(stoppingToken);
                if (DateTimeOffset.UtcNow - lastBacklog >= Interval)
                {
                    var backlog = await store.GetBacklogAsync(stoppingToken);
                    lastBacklog = DateTimeOffset.UtcNow;
                    usage.Update(backlog, lastBacklog);
                    metrics.JobBacklog(backlog.QueuedJobs + backlog.RunningJobs);
                    metrics.JobStorage(backlog.StoredBytes, backlog.ReservedBytes, options.StorageMaxBytes);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (StorageUnavailableException e) { logger.LogDebug("Job maintenance: {Error}", e.Message); }
            catch (Exception e) { logger.LogWarning(e, "Job maintenance failed"); }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }
}

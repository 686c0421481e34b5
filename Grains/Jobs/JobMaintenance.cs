using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Cluster;
using Orleans.Tts.Jobs;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// In every process: deletes expired job results (after TTS_JOB_TTL_SECONDS) and publishes the job backlog and the storage
/// jobs hold (<see cref="JobUsage"/>, the <c>tts_job_backlog</c> and <c>tts_job_storage_*</c> gauges).
/// </summary>
public sealed class JobMaintenance(IJobStore store, IJobQueue queue, JobUsage usage, JobOptions options, TtsMetrics metrics, ILogger<JobMaintenance> logger)
    : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                var purged = await queue.SweepAsync(stoppingToken);
                if (purged > 0) logger.LogInformation("Deleted the results of {Count} expired jobs", purged);
                var backlog = await store.GetBacklogAsync(stoppingToken);
                usage.Update(backlog, DateTimeOffset.UtcNow);
                metrics.JobBacklog(backlog.QueuedJobs + backlog.RunningJobs);
                metrics.JobStorage(backlog.StoredBytes, backlog.ReservedBytes, options.StorageMaxBytes);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (StorageUnavailableException) { }
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

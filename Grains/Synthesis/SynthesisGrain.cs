using Orleans.Concurrency;
using Orleans.Tts.Cluster;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Grains.Jobs;
using Orleans.Tts.Jobs;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Synthesis.Workers;

namespace Orleans.Tts.Grains.Synthesis;

/// <summary>
/// This silo's synthesis workers behind a grain (<see cref="ISynthesisGrain"/>), one activation on each silo (keyed and placed by
/// the silo's address). The work runs on the worker pool's engine hosts and inference threads, never on Orleans' scheduler; calls
/// interleave, since each only awaits the pool, whose own bounded queue refuses at once when full (Orleans' unbounded request
/// queue is never where a sentence waits).
/// </summary>
[SiloKeyedPlacement, Reentrant]
public sealed class SynthesisGrain(SynthesisWorkerPool pool, ISiloActivity activity, ClusterLoad load, TtsClusterOptions cluster, JobUnitRunner jobUnits)
    : Grain, ISynthesisGrain
{
    public Task<JobUnitResult> RunJobUnitAsync(JobUnitWork work, CancellationToken cancellationToken = default) => jobUnits.RunAsync(work, cancellationToken);

    public Task CancelJobAsync(string jobId)
    {
        jobUnits.Cancel(jobId);
        return Task.CompletedTask;
    }

    public async Task<SiloVoices> GetVoicesAsync() =>
        new(await pool.GetVoicesAsync(), ModelVersion.Parse(ModelVersion.Of(pool.Status.Detail)));

    public Task<SiloLoad> GetLoadAsync() => Task.FromResult(Load());

    public Task<SentenceResult> SynthesizePlannedAsync(PlannedSynthesisRequest request, CancellationToken cancellationToken = default) =>
        RunAsync(request.Items.Count, () => pool.StreamPlannedAsync(request, cancellationToken), null, cancellationToken);

    public Task<SentenceResult> SynthesizeItemAsync(SynthesisRequest request, int index, CancellationToken cancellationToken = default)
    {
        var total = -1;
        return RunAsync(null, () => pool.StreamAsync(request, index, 1, planned => total = planned, cancellationToken), () => total, cancellationToken);
    }

    private SiloLoad Load()
    {
        var status = pool.Status;
        return new SiloLoad(status.Parallelism, status.Running, status.Queued, activity.Draining, load.QueuedHere, cluster.Self.Id, status.Ready);
    }

    /// <summary>The item's clip (the last the stream yields) or the outcome that says why there is none.</summary>
    private async Task<SentenceResult> RunAsync(int? knownTotal, Func<IAsyncEnumerable<AudioClip>> synthesize, Func<int>? total, CancellationToken cancellationToken)
    {
        using var inFlight = activity.TryBegin();
        if (inFlight is null) return new SentenceResult(SentenceOutcome.Draining, RetryAfter: TimeSpan.FromSeconds(1), Load: Load());
        // Still loading its engines: its voice list is not complete yet, so "unknown voice" would be wrong; another silo can serve.
        if (!pool.Status.Ready) return new SentenceResult(SentenceOutcome.Unavailable, RetryAfter: TimeSpan.FromSeconds(1), Error: "engines still loading", Load: Load());
        try
        {
            AudioClip? clip = null;
            await foreach (var c in synthesize().WithCancellation(cancellationToken)) clip = c;
            return new SentenceResult(SentenceOutcome.Done, clip, knownTotal ?? total!(), Load: Load());
        }
        catch (WorkerPoolSaturatedException e)
        {
            return new SentenceResult(SentenceOutcome.Busy, RetryAfter: e.RetryAfter, Error: e.Message, Load: Load());
        }
        catch (UnknownVoiceException e)
        {
            return new SentenceResult(SentenceOutcome.UnknownVoice, Error: e.Message, Load: Load());
        }
        catch (Exception e) when (e is EngineUnavailableException or StorageUnavailableException)
        {
            return new SentenceResult(SentenceOutcome.Unavailable, RetryAfter: TimeSpan.FromSeconds(1), Error: e.Message, Load: Load());
        }
    }
}

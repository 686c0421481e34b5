using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.Tts.Cluster;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Jobs;
using Orleans.Tts.Speech;
using Orleans.Tts.Streams;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// Jobs as the REST API of every process (silo or frontend) sees them: each job is a <see cref="IJobGrain"/>, the budget and
/// backlog are the <see cref="IJobIndexGrain"/>'s, the audio is read from the <see cref="IJobAudioStore"/> one unit at a time, and
/// changes arrive on the job's Orleans stream. Failures to reach the grains or their storage surface as
/// <see cref="StorageUnavailableException"/> (503 with Retry-After), never as a 500.
/// </summary>
public sealed class GrainJobStore(IClusterClient client, IJobAudioStore audio, JobPlanner planner, TimeProvider clock) : IJobStore
{
    public bool Durable => audio.Durable;

    private IJobGrain Job(string id) => client.GetGrain<IJobGrain>(id);

    public async ValueTask<JobRecord> CreateAsync(JobSpec spec, CancellationToken cancellationToken = default)
    {
        var units = planner.Plan(spec.Input, spec.Words).Select(u => new JobUnitText(u.Text, u.Sentences, u.LineStarts)).ToList();
        var input = new JobInput(spec, units, JobStorageBudget.Estimate(spec), clock.GetUtcNow());
        // One id for every try: a retried creation finds the job if the first try made it.
        var job = Job(JobIds.New());
        return (await Call(() => job.CreateAsync(input), cancellationToken)).Accepted();
    }

    public async ValueTask<JobRecord?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        IsJobId(id) ? await Call(() => Job(id).GetAsync(), cancellationToken) : null;

    public async ValueTask<JobRecord?> CancelAsync(string id, CancellationToken cancellationToken = default) =>
        IsJobId(id) ? await Call(() => Job(id).CancelAsync(), cancellationToken) : null;

    public async IAsyncEnumerable<JobAudioPart> ReadAudioAsync(string id, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!IsJobId(id) || await Call(() => Job(id).GetAudioIndexAsync(), cancellationToken) is not { } index) yield break;
        for (var i = 0; i < index.UnitSamples.Count; i++)
        {
            var unit = i;
            var stored = await Call(() => audio.ReadUnitAsync(id, unit), cancellationToken);
            if (stored is null) yield break; // purged or expired while being read: the caller sees the shortfall
            yield return new JobAudioPart(i, new AudioClip(index.SampleRate, JobAudioCodec.Decode(stored, index.UnitSamples[i])));
        }
    }

    public async ValueTask<JobWords?> ReadWordsAsync(string id, CancellationToken cancellationToken = default)
    {
        if (!IsJobId(id) || await Call(() => Job(id).GetCaptionSourceAsync(), cancellationToken) is not { } source) return null;
        var (rate, units) = (source.Audio.SampleRate, source.Audio.UnitSamples);
        var stored = await Call(() => audio.ReadWordsAsync(id, units.Count), cancellationToken);
        // A unit without words was purged or expired while being read.
        if (Array.IndexOf(stored, null) >= 0) return null;
        var words = new List<SpokenWord>();
        long before = 0;
        for (var i = 0; i < units.Count; i++)
        {
            foreach (var w in JobUnitWords.Decode(stored[i]!))
            {
                var (start, end) = (Math.Clamp(w.TextStart, 0, source.Input.Length), Math.Clamp(w.TextEnd, 0, source.Input.Length));
                if (end <= start) continue;
                words.Add(new SpokenWord(source.Input[start..end], start, end, SpeechWords.Ms(before + w.StartSample, rate), SpeechWords.Ms(before + w.EndSample, rate)));
            }
            before += units[i];
        }
        return new JobWords(source.Input, words);
    }

    public async IAsyncEnumerable<JobRecord?> WatchAsync(string id, TimeSpan quiet, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (!IsJobId(id)) yield break;
        var changes = Channel.CreateUnbounded<JobRecord>(new UnboundedChannelOptions { SingleReader = true });
        var stream = client.GetStreamProvider(TtsStreams.Provider).GetStream<JobRecord>(StreamId.Create(TtsStreams.Jobs, id));
        // Subscribed before the first read: a change after that read is on the stream.
        StreamSubscriptionHandle<JobRecord>? subscription = null;
        try
        {
            try
            {
                subscription = await stream.SubscribeAsync((record, _) =>
                {
                    changes.Writer.TryWrite(record);
                    return Task.CompletedTask;
                });
            }
            catch (Exception e) when (e is not OperationCanceledException) { } // without the stream, the reads below every quiet interval still follow it
            var last = await GetAsync(id, cancellationToken);
            if (last is null) yield break;
            yield return last;
            while (last.State.IsActive())
            {
                JobRecord? next = null;
                using (var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    wait.CancelAfter(quiet);
                    try { next = await changes.Reader.ReadAsync(wait.Token); }
                    catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested) { }
                }
                // Memory streams are not durable (the job's grain may have moved): a quiet interval reads the job again.
                if (next is null)
                {
                    try { next = await GetAsync(id, cancellationToken); }
                    catch (StorageUnavailableException) { }
                }
                if (next is null || Older(next, last))
                {
                    yield return null;
                    continue;
                }
                last = next;
                yield return next;
            }
        }
        finally
        {
            if (subscription is not null)
            {
                try { await subscription.UnsubscribeAsync(); }
                catch (Exception) { } // the subscription dies with this process's stream client anyway
            }
        }
    }

    /// <summary>A change already passed on (the stream may deliver one again after a re-read).</summary>
    private static bool Older(JobRecord next, JobRecord last) =>
        next.UpdatedAt < last.UpdatedAt || next.UpdatedAt == last.UpdatedAt && next.DoneSentences == last.DoneSentences && next.State == last.State && next.Purged == last.Purged;

    public async ValueTask<JobBacklog> GetBacklogAsync(CancellationToken cancellationToken = default) =>
        await Call(() => client.GetGrain<IJobIndexGrain>(0).GetBacklogAsync(), cancellationToken);

    /// <summary>Wakes active jobs (after a silo died) and sweeps expired results: job maintenance calls it every poll interval.</summary>
    public Task PingAsync(CancellationToken cancellationToken = default) => Call(async () =>
    {
        await client.GetGrain<IJobIndexGrain>(0).PingAsync();
        return true;
    }, cancellationToken);

    /// <summary>Ids come from <see cref="JobIds.New"/>; anything else is unknown without a grain call.</summary>
    private static bool IsJobId(string id) => id.Length == 36 && id.StartsWith("job_", StringComparison.Ordinal) && id.AsSpan(4).IndexOfAnyExcept("0123456789abcdef") < 0;

    /// <summary>A grain call, retried while a dead silo's grains cannot be reached yet (<see cref="GrainCallRetry"/>).</summary>
    private static async Task<T> Call<T>(Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try { return await GrainCallRetry.RunAsync(async ct => await call().WaitAsync(ct), cancellationToken); }
        catch (Exception e) when (e is not (OperationCanceledException or StorageUnavailableException or JobBacklogFullException or JobStorageFullException or JobTooLargeException))
        {
            // The client retries; the exception itself (Orleans' message carries a stack trace) is not for the client.
            throw new StorageUnavailableException($"Jobs are unavailable right now: {GrainCallRetry.Reason(e)}.", e);
        }
    }
}

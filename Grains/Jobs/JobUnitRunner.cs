using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Cluster;
using Orleans.Tts.Jobs;
using Orleans.Tts.Speakers;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Synthesis.Workers;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// Runs job units on this silo for its synthesis grain: in the worker pool's background lane (each sentence takes a worker only
/// when it is free and no interactive request waits), at most <see cref="JobOptions.MaxWorkers"/> units at once, and stores each
/// unit's encoded audio (and its words, when the job records them) before answering, so the job's grain records only what is stored.
/// The unit's audio is compressed on the silo's low-priority threads (<see cref="BackgroundCpu"/>), not beside interactive requests.
/// </summary>
public sealed class JobUnitRunner(SynthesisWorkerPool pool, IJobAudioStore audio, JobOptions options, ISiloActivity activity, BackgroundCpu cpu,
    ILogger<JobUnitRunner> logger)
{
    private readonly ConcurrentDictionary<(string Job, int Index), CancellationTokenSource> _running = new();
    private int _count;

    /// <summary>Units running here now.</summary>
    public int Running => Volatile.Read(ref _count);

    public async Task<JobUnitResult> RunAsync(JobUnitWork work, CancellationToken cancellationToken)
    {
        using var inFlight = activity.TryBegin();
        if (inFlight is null) return new JobUnitResult(JobUnitOutcome.Draining, RetryAfter: TimeSpan.FromSeconds(1));
        if (!pool.Status.Ready) return new JobUnitResult(JobUnitOutcome.Busy, Error: "engines still loading", RetryAfter: TimeSpan.FromSeconds(1));
        if (Interlocked.Increment(ref _count) > options.MaxWorkers)
        {
            Interlocked.Decrement(ref _count);
            return new JobUnitResult(JobUnitOutcome.Busy, Error: $"{options.MaxWorkers} job units already run here", RetryAfter: TimeSpan.FromMilliseconds(200));
        }
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var key = (work.JobId, work.Index);
        _running[key] = stop;
        logger.LogInformation("Job {Job} unit {Unit} started", work.JobId, work.Index);
        try
        {
            // The pool reads the speaker's current embedding (computed once for the cluster) by id.
            var speaker = work.SpeakerId is { } id ? new SpeakerRef(id, 0) : null;
            var request = new SynthesisRequest(work.Text, work.VoiceId, work.Speed, work.Pitch, work.Volume, speaker, Words: work.LineStarts is not null);
            var (encoded, rate, samples, clips) = await EncodeAsync(request, work.LineStarts is not null, stop.Token);
            var words = work.LineStarts is { } starts ? JobUnitWords.Encode(JobUnitWords.ToInput(work.Text, starts, clips!)) : null;
            // Cancelled during its last sentence (or while the encoder finished): a cancelled job's audio is not stored.
            stop.Token.ThrowIfCancellationRequested();
            await audio.WriteUnitAsync(work.JobId, work.Index, encoded, words, work.AudioExpiresAt);
            logger.LogInformation("Job {Job} unit {Unit} stored: {Samples} samples", work.JobId, work.Index, samples);
            return new JobUnitResult(JobUnitOutcome.Done, samples, rate);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            return new JobUnitResult(JobUnitOutcome.Cancelled);
        }
        catch (UnknownVoiceException e)
        {
            return new JobUnitResult(JobUnitOutcome.UnknownVoice, Error: e.Message);
        }
        catch (StorageUnavailableException e)
        {
            // Redis (the audio, a speaker's embedding) is away: the job tries the unit again later, without counting a try.
            return new JobUnitResult(JobUnitOutcome.Busy, Error: e.Message, RetryAfter: e.RetryAfter);
        }
        catch (Exception e) when (e is EngineUnavailableException or WorkerPoolSaturatedException)
        {
            return new JobUnitResult(JobUnitOutcome.Busy, Error: e.Message, RetryAfter: TimeSpan.FromSeconds(1));
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "Job {Job} unit {Unit} failed", work.JobId, work.Index);
            return new JobUnitResult(JobUnitOutcome.Failed, Error: e.Message);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<(string, int), CancellationTokenSource>(key, stop));
            Interlocked.Decrement(ref _count);
        }
    }

    /// <summary>
    /// The unit's sentences synthesised in the background lane. Sentences come packed from the engine host that made them where
    /// the engine can (eSpeak) and are stored as they came: the silo neither holds their samples nor compresses them, which kept
    /// half a core busy and the GC collecting every few hundred milliseconds during a job backlog (bench/RESULTS.md, "job sentences
    /// packed by the engine host that spoke them"). Others are compressed on a low-priority thread while the next is synthesised,
    /// and dropped once compressed.
    /// </summary>
    private async Task<(byte[] Encoded, int Rate, int Samples, List<(IReadOnlyList<WordTiming>?, int)>? Clips)> EncodeAsync(SynthesisRequest request, bool words,
        CancellationToken cancellationToken)
    {
        // Made at the first sentence: the compressor's state is not held while the unit waits for its turn.
        JobAudioCodec.Writer? writer = null;
        var clips = words ? new List<(IReadOnlyList<WordTiming>?, int)>() : null;
        int rate = 0, samples = 0;
        var appended = Task.CompletedTask;
        try
        {
            await foreach (var sentence in pool.StreamInBackgroundAsync(request, options.MaxWorkers, packed: true, cancellationToken))
            {
                using var packed = sentence.Packed;
                if (rate == 0) rate = sentence.SampleRate;
                samples += sentence.SampleCount;
                clips?.Add((sentence.Words, sentence.SampleCount));
                await appended;
                var unit = writer ??= new JobAudioCodec.Writer();
                if (packed is not null) unit.AppendPacked(packed.SampleCount, packed.Bytes);
                else
                {
                    var clip = sentence.Clip!;
                    appended = cpu.RunAsync(() => unit.Append(clip.Samples), cancellationToken);
                }
            }
            await appended;
            var encoded = await cpu.RunAsync(() => writer is null ? JobAudioCodec.Encode([]) : writer.Finish(), cancellationToken);
            return (encoded, rate, samples, clips);
        }
        finally
        {
            // The writer is disposed only once no append runs on it.
            try { await appended; }
            catch (Exception) { /* the failure already being thrown is the one to report */ }
            writer?.Dispose();
        }
    }

    /// <summary>Stops the job's units running here.</summary>
    public void Cancel(string jobId)
    {
        foreach (var (key, stop) in _running)
        {
            if (key.Job != jobId) continue;
            try { stop.Cancel(); }
            catch (ObjectDisposedException) { }
        }
    }
}

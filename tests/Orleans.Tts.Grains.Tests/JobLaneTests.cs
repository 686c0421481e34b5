using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Synthesis.Engines;
using Orleans.Tts.Synthesis.Workers;
using Orleans.Tts.Testing;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Grains.Tests;

/// <summary>
/// The worker pool's background lane (job sentences) against interactive requests, with an engine whose background sentences
/// hold until the test lets them finish: whether an interactive request can be queued behind a job sentence.
/// </summary>
public sealed class JobLaneTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task An_interactive_request_is_not_queued_behind_a_job_sentence_that_runs_on_the_engines_own_background_hosts()
    {
        var engine = new GatedEngine(runsBackgroundApart: true);
        await using var pool = await StartAsync(engine);
        var (job, first) = await StartJobAsync(pool, engine, "A job sentence.");
        await using var stream = job;

        // The only worker is free for it: the request is answered while the job sentence still runs.
        Assert.Equal(1, pool.Status.Running); // the silo's reported load still counts the job sentence
        var clip = await pool.SynthesizeAsync(new SynthesisRequest("Quick.", GatedEngine.Voice)).AsTask().WaitAsync(Deadline);
        Assert.Equal(GatedEngine.Samples, clip.Samples.Length);
        Assert.False(first.IsCompleted);
        Assert.Equal(0, pool.Status.Queued);

        engine.FinishBackground.SetResult();
        Assert.True(await first.WaitAsync(Deadline));
        Assert.Equal(GatedEngine.Samples, job.Current.SampleCount);
    }

    [Fact]
    public async Task Without_background_hosts_a_job_sentence_holds_a_worker_and_an_interactive_request_waits_for_that_one_sentence()
    {
        var engine = new GatedEngine(runsBackgroundApart: false);
        await using var pool = await StartAsync(engine);
        var (job, first) = await StartJobAsync(pool, engine, "A job sentence. And another.");
        await using var stream = job;

        var interactive = pool.SynthesizeAsync(new SynthesisRequest("Quick.", GatedEngine.Voice)).AsTask();
        await Poll.UntilAsync(() => Task.FromResult(pool.Status.Queued == 1), Deadline, "the interactive request queues for the worker");
        Assert.False(interactive.IsCompleted);

        // The job sentence ends and gives the worker back; the job's next sentence does not take it while the request waits.
        engine.FinishBackground.SetResult();
        Assert.True(await first.WaitAsync(Deadline));
        Assert.Equal(GatedEngine.Samples, (await interactive.WaitAsync(Deadline)).Samples.Length);
        while (await job.MoveNextAsync().AsTask().WaitAsync(Deadline)) { }
        Assert.Equal(2, engine.BackgroundSentences);
    }

    /// <summary>The job's sentences in the background lane, once its first sentence is under way (and held by the engine).</summary>
    private static async Task<(IAsyncEnumerator<BackgroundSentence> Job, Task<bool> First)> StartJobAsync(SynthesisWorkerPool pool, GatedEngine engine, string text)
    {
        var job = pool.StreamInBackgroundAsync(new SynthesisRequest(text, GatedEngine.Voice), maxWorkers: 1).GetAsyncEnumerator();
        var first = job.MoveNextAsync().AsTask();
        await engine.BackgroundStarted.Task.WaitAsync(Deadline);
        return (job, first);
    }

    private static async Task<SynthesisWorkerPool> StartAsync(ITtsEngine engine)
    {
        var pool = new SynthesisWorkerPool([engine], new WorkerPoolOptions { Parallelism = 1 }, NullLogger<SynthesisWorkerPool>.Instance);
        await pool.StartAsync(CancellationToken.None);
        return pool;
    }

    /// <summary>A silent sentence of <see cref="Samples"/> samples; background sentences wait for <see cref="FinishBackground"/>.</summary>
    private sealed class GatedEngine(bool runsBackgroundApart) : ITtsEngine
    {
        public const string Voice = "gated:en";
        public const int Samples = 160;
        private int _background;

        public TaskCompletionSource BackgroundStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource FinishBackground { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public int BackgroundSentences => Volatile.Read(ref _background);

        public string Name => "gated";
        public int MaxParallelism => 1;
        public bool RunsBackgroundApart => runsBackgroundApart;
        public IReadOnlyList<VoiceInfo> Voices { get; } = [new VoiceInfo(Voice, "Gated", "gated", ["en"], 16_000)];

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async ValueTask<AudioClip> SynthesizeSentenceAsync(string voiceId, string sentence, SynthesisOptions options, CancellationToken cancellationToken)
        {
            if (options.Background)
            {
                Interlocked.Increment(ref _background);
                BackgroundStarted.TrySetResult();
                await FinishBackground.Task.WaitAsync(cancellationToken);
            }
            return new AudioClip(16_000, new short[Samples]);
        }

        public IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>();

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}

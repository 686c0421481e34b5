using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Admission;
using Orleans.Tts.Speech;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Synthesis.Engines;
using Orleans.Tts.Voices;

namespace Orleans.Tts.ClusterClient.Tests;

/// <summary>
/// Three silos (the real Program, in this process) whose engines are counted: every engine of every silo is wrapped by one shared
/// <see cref="EngineGauge"/>, so the count is the number of sentences being synthesised at the same instant in the whole cluster.
/// Two workers a silo (six engine slots), a global limit of one permit, one spread lane a request.
/// </summary>
public sealed class CountedEnginesCluster() : ClusterFixture(3)
{
    public const int Limit = 1, Lanes = 1, WorkersPerSilo = 2;

    public EngineGauge Engines { get; } = new();

    protected override IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>
    {
        ["TTS_WORKERS"] = $"{WorkersPerSilo}",
        ["TTS_GLOBAL_MAX_INFLIGHT"] = $"{Limit}",
        ["TTS_FRONTEND_REQUEST_LANES"] = $"{Lanes}",
        ["TTS_ADMISSION_WAIT_MS"] = "1500",
        // Permits from the grain only: past the default 1 s a silo admits locally (by design), which this test of the grain's
        // limit must not count on a starved CPU.
        ["TTS_ADMISSION_GRAIN_TIMEOUT_MS"] = "30000",
    };

    protected override void ConfigureSilo(IServiceCollection services)
    {
        var engines = services.Where(d => d.ServiceType == typeof(ITtsEngine)).ToList();
        foreach (var engine in engines)
        {
            services.Remove(engine);
            services.Add(ServiceDescriptor.Singleton<ITtsEngine>(sp => new CountingEngine(Inner(engine, sp), Engines)));
        }
    }

    private static ITtsEngine Inner(ServiceDescriptor engine, IServiceProvider services) =>
        (ITtsEngine)(engine.ImplementationInstance ?? engine.ImplementationFactory?.Invoke(services)
            ?? ActivatorUtilities.CreateInstance(services, engine.ImplementationType!));
}

/// <summary>Sentences inside engines now, and the most there ever were at once (with which sentences they were).</summary>
public sealed class EngineGauge
{
    private readonly Lock _gate = new();
    private readonly Dictionary<long, string> _inside = [];
    private long _next;
    private int _most;
    private string _atMost = "";

    public int Most { get { lock (_gate) return _most; } }

    public int Now { get { lock (_gate) return _inside.Count; } }

    /// <summary>The sentences inside engines when the most were there.</summary>
    public string AtMost { get { lock (_gate) return _atMost; } }

    public long Enter(string sentence)
    {
        lock (_gate)
        {
            var id = _next++;
            _inside[id] = sentence;
            if (_inside.Count > _most) (_most, _atMost) = (_inside.Count, string.Join(" / ", _inside.Values));
            return id;
        }
    }

    public void Exit(long id)
    {
        lock (_gate) _inside.Remove(id);
    }

    /// <summary>Forgets the most seen so far (the silos' start-up warms their engines up, all at once).</summary>
    public void Reset()
    {
        lock (_gate) (_most, _atMost) = (_inside.Count, string.Join(" / ", _inside.Values));
    }
}

/// <summary>An engine that counts the sentences it is rendering in a <see cref="EngineGauge"/>, and otherwise is the engine it wraps.</summary>
public sealed class CountingEngine(ITtsEngine inner, EngineGauge gauge) : ITtsEngine
{
    public string Name => inner.Name;
    public IReadOnlyList<VoiceInfo> Voices => inner.Voices;
    public int MaxParallelism => inner.MaxParallelism;
    public Task StartAsync(CancellationToken cancellationToken) => inner.StartAsync(cancellationToken);
    public IReadOnlyDictionary<string, string> Describe() => inner.Describe();
    public ValueTask DisposeAsync() => inner.DisposeAsync();

    public async ValueTask<AudioClip> SynthesizeSentenceAsync(string voiceId, string sentence, SynthesisOptions options, CancellationToken cancellationToken)
    {
        var id = gauge.Enter(sentence);
        try
        {
            return await inner.SynthesizeSentenceAsync(voiceId, sentence, options, cancellationToken);
        }
        finally
        {
            gauge.Exit(id);
        }
    }
}

[CollectionDefinition(Name)]
public sealed class CountedEnginesCollection : ICollectionFixture<CountedEnginesCluster>
{
    public const string Name = "three silos with counted engines";
}

[Collection(CountedEnginesCollection.Name)]
public sealed class BurstEngineTests(CountedEnginesCluster cluster, Xunit.Abstractions.ITestOutputHelper output)
{
    /// <summary>
    /// What the global limit bounds: permits, i.e. requests in synthesis, not sentences. A permit's request spread over silos
    /// (<c>ClusterSynthesisWorker</c>) runs one fetch a lane at first and two once its first sentence is back (one synthesising and
    /// one queued behind it), each a sentence that synthesises at once if its silo has a free worker; a request kept on one silo
    /// runs at most the pool's request parallelism (workers / 2). So the engines never hold more than
    /// limit × max(2 × lanes, workers / 2) sentences at once, nor more than the silos' workers.
    /// </summary>
    private const int SentencesPerPermit = 2 * CountedEnginesCluster.Lanes;

    [Fact]
    public async Task A_burst_of_ten_times_the_limit_across_silos_never_has_more_in_synthesis_than_the_limit_allows_counted_by_the_grain_and_by_the_engines()
    {
        const int limit = CountedEnginesCluster.Limit;
        var engineBound = limit * Math.Max(SentencesPerPermit, CountedEnginesCluster.WorkersPerSilo / 2);
        var slots = cluster.Silos.Count * CountedEnginesCluster.WorkersPerSilo;
        Assert.True(engineBound < slots, "the engines alone would allow more than the limit does: the test would prove nothing");
        var grain = cluster.Silo.Services.GetRequiredService<IGrainFactory>().GetGrain<IAdmissionGrain>(0);
        Assert.Equal(TimeSpan.FromSeconds(30), cluster.Silo.Services.GetRequiredService<Orleans.Tts.Grains.Admission.AdmissionOptions>().GrainAnswerTimeout);
        await Poll.UntilAsync(() => Task.FromResult(cluster.Engines.Now == 0), TimeSpan.FromSeconds(30), "no engine is synthesising before the burst");
        cluster.Engines.Reset();

        var mostInUse = 0;
        var log = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        var watchGrain = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) mostInUse = Math.Max(mostInUse, (await grain.GetSnapshotAsync()).InUse);
        });
        // Ten times the limit, from different callers (each within its share), six sentences each, entering through every silo.
        var outcomes = await Task.WhenAll(Enumerable.Range(0, 10 * limit).Select(async i =>
        {
            try
            {
                var audio = await cluster.Tts.SynthesizeAsync(new SpeechCommand(Sentences($"Burst {i}", 6), "alloy", "wav", Caller: $"burst-{i}"));
                Assert.True(audio.AudioSeconds > 0);
                log.Enqueue($"burst {i}: {audio.Degradation} hit={audio.CacheHit} engines now {cluster.Engines.Now} most {cluster.Engines.Most}");
                return (Ok: true, RetryAfter: TimeSpan.Zero);
            }
            catch (SpeechBusyException e)
            {
                log.Enqueue($"burst {i}: busy {e.Title} {e.RetryAfter}");
                return (Ok: false, e.RetryAfter);
            }
        }));
        await stop.CancelAsync();
        await watchGrain;

        Assert.Contains(outcomes, o => o.Ok);
        Assert.All(outcomes.Where(o => !o.Ok), o => Assert.True(o.RetryAfter >= TimeSpan.FromSeconds(1), "a busy answer without a retry time"));
        Assert.InRange(mostInUse, 1, limit);
        // Fresh texts, so none came from the result cache: the engines did synthesise, never more at once than the limit allows.
        Assert.True(cluster.Engines.Most is >= 1 && cluster.Engines.Most <= engineBound, $"{cluster.Engines.Most} engine syntheses at once, bound {engineBound} ({cluster.Engines.AtMost}): " + string.Join(" | ", log));
        await Poll.UntilAsync(async () => (await grain.GetSnapshotAsync()).InUse == 0 && cluster.Engines.Now == 0, TimeSpan.FromSeconds(10),
            "every permit is back and no engine is synthesising");
        output.WriteLine($"burst: {outcomes.Count(o => o.Ok)} of {outcomes.Length} served; at most {mostInUse} permits and {cluster.Engines.Most} engine syntheses at once (bound {engineBound}, {slots} slots)");
    }

    private static string Sentences(string seed, int count) =>
        string.Join(" ", Enumerable.Range(0, count).Select(i => $"{seed} sentence number {i} keeps an engine busy for a while."));
}

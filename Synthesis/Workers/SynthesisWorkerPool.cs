using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Audio;
using Orleans.Tts.Synthesis.Engines;
using Orleans.Tts.Synthesis.Engines.Models;
using Orleans.Tts.Synthesis.Text;
using Orleans.Tts.Synthesis.Text.Normalization;
using Orleans.Tts.Models;
using Orleans.Tts.Speakers;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Telemetry;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Synthesis.Workers;

/// <summary>
/// The stateless synthesis workers of one silo: at most <see cref="WorkerPoolOptions.Parallelism"/>
/// requests run at once, at most <see cref="WorkerPoolOptions.QueueLimit"/> wait, and the next
/// one is refused at once with a Retry-After estimated from the queue and the observed service time.
/// A request becomes an ordered list of work items (sentences of its spoken segments, each with its voice, options
/// and gain, and pauses) that are synthesised over up to <see cref="WorkerPoolOptions.EffectiveRequestParallelism"/>
/// workers and yielded in order. The voice map is an immutable snapshot swapped whole when model engines reload, so lookups never lock.
/// </summary>
public sealed class SynthesisWorkerPool : ISynthesisWorker, IModelCatalog, IHostedService, IAsyncDisposable
{
    private readonly IReadOnlyList<ITtsEngine> _engines;
    private readonly WorkerPoolOptions _options;
    private readonly ILogger<SynthesisWorkerPool> _logger;
    private readonly TtsMetrics? _metrics;
    private readonly WorkerSlots _slots;
    private readonly SynthesisPlanner _planner;
    private readonly Dictionary<string, string> _startFailures = [];
    private readonly ModelOptions? _modelOptions;
    private readonly ISpeakerDirectory? _speakers;
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private volatile VoiceMap _map = VoiceMap.Empty;
    private volatile bool _started;
    private int _waiting;
    private int _disposed;
    private int _running;
    // Background sentences under way, and those of them that hold one of the workers (the rest run on their engine's own capacity).
    private int _background;
    private int _backgroundInSlots;
    private long _sentences;
    private long _plans;
    // Completed (and replaced) each time a worker is given back: background work waits on it for a free worker.
    private TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Exponentially weighted mean service time per request, in ticks (for Retry-After).
    private long _meanServiceTicks = TimeSpan.FromMilliseconds(200).Ticks;

    private sealed record VoiceMap(IReadOnlyDictionary<string, (ITtsEngine Engine, VoiceInfo Voice)> ById, IReadOnlyList<VoiceInfo> Voices)
    {
        public static VoiceMap Empty { get; } = new(new Dictionary<string, (ITtsEngine, VoiceInfo)>(), []);
    }

    public SynthesisWorkerPool(IEnumerable<ITtsEngine> engines, WorkerPoolOptions options, ILogger<SynthesisWorkerPool> logger, TtsMetrics? metrics = null,
        ModelOptions? modelOptions = null, SpeechTextNormalizer? normalizer = null, ISpeakerDirectory? speakers = null)
    {
        _speakers = speakers;
        _modelOptions = modelOptions;
        if (options.Parallelism < 1) throw new ArgumentOutOfRangeException(nameof(options), "Parallelism must be at least 1.");
        if (options.QueueLimit < 0) throw new ArgumentOutOfRangeException(nameof(options), "The queue limit cannot be negative.");
        _engines = engines.ToList();
        _options = options;
        _logger = logger;
        _metrics = metrics;
        _slots = new WorkerSlots(options.Parallelism);
        _planner = new SynthesisPlanner(normalizer ?? SpeechTextNormalizer.Default, options.MaxSentenceChars);
    }

    public SentenceSplitter Splitter => _planner.Splitter;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var engine in _engines)
        {
            try
            {
                var clock = Stopwatch.StartNew();
                await engine.StartAsync(cancellationToken);
                _logger.LogInformation("Start-up: engine {Engine} started in {Milliseconds:0} ms", engine.Name, clock.Elapsed.TotalMilliseconds);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One engine failing must not stop the others from serving.
                _startFailures[engine.Name] = e.Message;
                _logger.LogError(e, "Engine {Engine} failed to start; its voices are unavailable", engine.Name);
            }
        }
        RefreshVoices();
        _started = true;
    }

    /// <summary>Rebuilds the voice map from the engines' current voices (the first engine listing an id keeps it).</summary>
    private void RefreshVoices()
    {
        var byId = new Dictionary<string, (ITtsEngine, VoiceInfo)>(StringComparer.OrdinalIgnoreCase);
        var voices = new List<VoiceInfo>();
        foreach (var engine in _engines.Where(e => !_startFailures.ContainsKey(e.Name)))
            foreach (var v in engine.Voices)
                if (byId.TryAdd(v.Id, (engine, v))) voices.Add(v);
        _map = new VoiceMap(byId, voices);
    }

    public async ValueTask<ModelReloadReport> ReloadAsync(CancellationToken cancellationToken = default)
    {
        var reloadable = _engines.OfType<IReloadableEngine>().Where(e => !_startFailures.ContainsKey(e.Name)).ToList();
        await _reloading.WaitAsync(cancellationToken);
        try
        {
            foreach (var engine in reloadable) await engine.ReloadAsync(cancellationToken);
            RefreshVoices();
        }
        finally
        {
            _reloading.Release();
        }
        var report = new ModelReloadReport(
            _modelOptions?.FullDirectory ?? "",
            [.. reloadable.SelectMany(e => e.Voices)],
            [.. reloadable.SelectMany(e => e.Failures)]);
        _logger.LogInformation("Models reloaded from {Directory}: {Voices} voices, {Failures} failures", report.Directory, report.Voices.Count, report.Failures.Count);
        return report;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask<IReadOnlyList<VoiceInfo>> GetVoicesAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_map.Voices);

    public WorkerPoolStatus Status
    {
        get
        {
            var detail = new Dictionary<string, string>();
            foreach (var engine in _engines)
            {
                if (_startFailures.TryGetValue(engine.Name, out var failure)) detail[$"{engine.Name}.error"] = failure;
                else if (_started) foreach (var (k, v) in engine.Describe()) detail[k] = v;
            }
            if (!_started) detail["pool"] = "engines are starting";
            detail["pool.sentences"] = Interlocked.Read(ref _sentences).ToString(System.Globalization.CultureInfo.InvariantCulture);
            detail["pool.textsPlanned"] = Interlocked.Read(ref _plans).ToString(System.Globalization.CultureInfo.InvariantCulture);
            detail["pool.requestParallelism"] = _options.EffectiveRequestParallelism.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var ready = _started && _map.Voices.Count > 0;
            // Job sentences on their engine's own hosts count as running too: the load a silo reports includes its job work.
            var running = Volatile.Read(ref _running) + Volatile.Read(ref _background) - Volatile.Read(ref _backgroundInSlots);
            return new WorkerPoolStatus(ready, _options.Parallelism, running, Volatile.Read(ref _waiting), _options.QueueLimit, detail);
        }
    }

    public async ValueTask<AudioClip> SynthesizeAsync(SynthesisRequest request, CancellationToken cancellationToken = default)
    {
        var rate = Resolve(request.VoiceId).Voice.SampleRate;
        var clips = new List<AudioClip>();
        await foreach (var clip in StreamAsync(request, cancellationToken)) clips.Add(clip);
        // One sentence (the usual request) is returned as is: no copy of its samples.
        return clips.Count switch
        {
            0 => AudioClip.Empty(rate),
            1 => clips[0],
            _ => AudioClip.Concat(rate, clips),
        };
    }

    public IAsyncEnumerable<AudioClip> StreamAsync(SynthesisRequest request, CancellationToken cancellationToken = default) =>
        StreamAsync(request, 0, null, null, cancellationToken);

    /// <summary>
    /// The clips of <paramref name="count"/> work items (sentences and pauses; null: all the rest) from <paramref name="firstSentence"/>
    /// on: a frontend spreading one request's sentences over silos asks each for a range. <paramref name="planned"/> hears the
    /// number of work items of the whole request before any is synthesised. A range past the end takes no worker and yields
    /// nothing. Every clip is at the request voice's rate.
    /// </summary>
    public async IAsyncEnumerable<AudioClip> StreamAsync(SynthesisRequest request, int firstSentence, int? count, Action<int>? planned,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var plan = Plan(request, await SpeakerEmbeddingAsync(request.Speaker, cancellationToken));
        planned?.Invoke(plan.Count);
        var sentences = plan.Skip(firstSentence).Take(count ?? int.MaxValue).ToList();
        if (sentences.Count == 0 && firstSentence > 0) yield break;
        await foreach (var clip in RunAsync(sentences, cancellationToken)) yield return clip;
    }

    /// <summary>
    /// The clips of work items a frontend planned (<see cref="ISynthesisPlanner"/>): the text is not planned again here; only the
    /// voices are resolved and the speaker's embedding fetched. Every clip is at the request voice's rate.
    /// </summary>
    public async IAsyncEnumerable<AudioClip> StreamPlannedAsync(PlannedSynthesisRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var speaker = await SpeakerEmbeddingAsync(request.Speaker, cancellationToken);
        var rate = Resolve(request.VoiceId).Voice.SampleRate;
        var items = request.Items.Select(item => ToWorkItem(item, rate, request.VoiceId, speaker)).ToList();
        if (items.Count == 0) yield break;
        var stream = request.Stream is { Length: > 0 and <= PlannedSynthesisRequest.MaxStreamLength } id ? id : null;
        await foreach (var clip in RunAsync(items, cancellationToken, stream, request.Index)) yield return clip;
    }

    /// <summary>Work items on a worker the request queues for (more while workers are free), yielded in order.</summary>
    private async IAsyncEnumerable<AudioClip> RunAsync(List<WorkItem> sentences, [EnumeratorCancellation] CancellationToken cancellationToken,
        string? stream = null, int index = 0)
    {
        await AcquireSlotAsync(cancellationToken, stream, index);
        _metrics?.SynthesesInFlightChanged(1);
        var started = Stopwatch.GetTimestamp();
        var audio = TimeSpan.Zero;
        var complete = false;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var lanes = new SentenceLanes(this, sentences, _options.EffectiveRequestParallelism, stop.Token);
        lanes.Start();
        try
        {
            for (var i = 0; i < sentences.Count; i++)
            {
                var clip = await lanes.Result(i);
                lanes.Consumed();
                audio += clip.Duration;
                yield return clip;
            }
            complete = true;
        }
        finally
        {
            // Early disposal or a failure: the lanes stop after their current sentence and give their workers back.
            await stop.CancelAsync();
            await lanes.Completion;
            var elapsed = Stopwatch.GetElapsedTime(started);
            Observe(elapsed);
            if (complete) _metrics?.Synthesized(elapsed, audio);
            _metrics?.SynthesesInFlightChanged(-1);
        }
    }

    /// <summary>
    /// The embedding of the request's speaker, computed once per version for the cluster by the speaker's grain and cached in
    /// this silo by version: the version the request was accepted for when this silo holds it, else the speaker's current one.
    /// A speaker deleted since (and not held here) is an unknown voice (400), never its base voice without its style.
    /// </summary>
    private async ValueTask<SpeakerEmbedding?> SpeakerEmbeddingAsync(SpeakerRef? requested, CancellationToken cancellationToken)
    {
        if (requested is not { } speaker) return null;
        if (_speakers is null) throw new EngineUnavailableException($"This silo has no speaker directory to read speaker '{speaker.Id}' from.");
        return await _speakers.GetEmbeddingAsync(speaker, cancellationToken)
            ?? throw new UnknownVoiceException($"speaker:{speaker.Id}", $"Speaker '{speaker.Id}' was deleted. GET /v1/speakers lists the speakers.");
    }

    /// <summary>A listed voice, or one an engine composes on request (a Kokoro blend).</summary>
    private (ITtsEngine Engine, VoiceInfo Voice) Resolve(string voiceId)
    {
        if (_map.ById.TryGetValue(voiceId, out var found)) return found;
        foreach (var engine in _engines)
            if (engine is IComposedVoices composer && !_startFailures.ContainsKey(engine.Name) && composer.Compose(voiceId) is { } voice)
                return (engine, voice);
        throw new UnknownVoiceException(voiceId);
    }

    /// <summary>Takes a worker, waiting in the bounded queue; throws <see cref="WorkerPoolSaturatedException"/> when it is full.</summary>
    /// <param name="stream">The request's stream when a frontend sends its sentences one call each (<see cref="PlannedSynthesisRequest.Stream"/>);
    /// <paramref name="index"/> orders its waiting sentences.</param>
    private async ValueTask AcquireSlotAsync(CancellationToken cancellationToken, string? stream = null, int index = 0)
    {
        if (!_slots.TryTake())
        {
            var waiting = Interlocked.Increment(ref _waiting);
            _metrics?.WorkerQueueChanged(1);
            try
            {
                if (waiting > _options.QueueLimit)
                {
                    _metrics?.Rejected("worker_queue_full");
                    throw new WorkerPoolSaturatedException(RetryAfter(waiting), waiting - 1, _options.QueueLimit);
                }
                await _slots.TakeAsync(stream, index, cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
                _metrics?.WorkerQueueChanged(-1);
            }
        }
        Interlocked.Increment(ref _running);
    }

    /// <summary>Takes a worker only when one is free and nobody is queued for it (extra lanes never jump the queue).</summary>
    private bool TryTakeFreeSlot()
    {
        if (Volatile.Read(ref _waiting) > 0 || !_slots.TryTake()) return false;
        Interlocked.Increment(ref _running);
        return true;
    }

    private void ReleaseSlot()
    {
        Interlocked.Decrement(ref _running);
        _slots.Release();
        Interlocked.Exchange(ref _released, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    /// <summary>Workers held by background (job) work now.</summary>
    public int BackgroundRunning => Volatile.Read(ref _background);

    /// <summary>
    /// The lower-priority lane for jobs: the request's sentences one at a time, each started only when no interactive request
    /// is queued, and only while fewer than <paramref name="maxWorkers"/> background sentences run. A sentence whose engine runs
    /// background work apart (<see cref="ITtsEngine.RunsBackgroundApart"/>: eSpeak's low-priority hosts) takes no worker, so an
    /// interactive request never waits for one behind it; any other takes a free worker and gives it back after the sentence,
    /// so an interactive request waits at most one sentence for it. Background work never queues and is never refused: it
    /// waits for its turn instead. With <paramref name="packed"/>, a sentence whose engine can pack it where it is synthesised
    /// (<see cref="ITtsEngine.SynthesizeSentencePackedAsync"/>) and whose samples the silo need not change (no gain from volume
    /// or SSML, no resampling) comes packed, with its words when asked for; the caller disposes it.
    /// </summary>
    public async IAsyncEnumerable<BackgroundSentence> StreamInBackgroundAsync(SynthesisRequest request, int maxWorkers, bool packed = false,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var item in Plan(request, await SpeakerEmbeddingAsync(request.Speaker, cancellationToken)))
        {
            if (item.Engine is null)
            {
                yield return new BackgroundSentence(await RenderAsync(item, cancellationToken));
                continue;
            }
            var apart = item.Engine.RunsBackgroundApart;
            await TakeBackgroundTurnAsync(maxWorkers, apart, cancellationToken);
            BackgroundSentence sentence;
            // Marked as background: an engine with low-priority hosts (eSpeak) runs it there, so the kernel prefers interactive sentences.
            var background = item with { Options = item.Options! with { Background = true } };
            try
            {
                sentence = packed && item.Gain == 1.0 && Resolve(item.VoiceId!).Voice.SampleRate == item.Rate
                                  && await RenderPackedAsync(background, cancellationToken) is { } bytes
                    ? new BackgroundSentence(Packed: bytes)
                    : new BackgroundSentence(await RenderAsync(background, cancellationToken));
            }
            finally
            {
                Interlocked.Decrement(ref _background);
                if (!apart)
                {
                    Interlocked.Decrement(ref _backgroundInSlots);
                    ReleaseSlot();
                }
            }
            yield return sentence;
        }
    }

    /// <summary>The sentence packed by its engine, its words mapped to the request's input; null where the engine cannot pack it.</summary>
    private async Task<PackedSentence?> RenderPackedAsync(WorkItem item, CancellationToken cancellationToken)
    {
        var packed = await item.Engine!.SynthesizeSentencePackedAsync(item.VoiceId!, item.Text!, item.Options!, cancellationToken);
        if (packed is null) return null;
        Interlocked.Increment(ref _sentences);
        try
        {
            if (packed.SampleRate != item.Rate) throw new InvalidOperationException($"Engine {item.Engine.Name} packed a sentence at {packed.SampleRate} Hz for a request at {item.Rate} Hz.");
            if (item.Source is null) return packed;
            packed.Words = WordMapping.ToInput(packed.Words ?? throw new InvalidOperationException($"Engine {item.Engine.Name} packed a sentence without the words asked for."),
                item.Source);
            return packed;
        }
        catch
        {
            packed.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Background work starts a sentence when no interactive synthesis runs, or when one worker would still be left
    /// spare for the next interactive arrival: an interactive request shares the CPU with at most the one background
    /// sentence already under way (on a 2-worker silo, jobs pause while any interactive request runs).
    /// </summary>
    private bool SpareForBackground()
    {
        var interactive = Volatile.Read(ref _running) - Volatile.Read(ref _backgroundInSlots);
        return interactive <= 0 || _options.Parallelism - interactive - Volatile.Read(ref _background) >= 2;
    }

    /// <summary>Waits until a background sentence may start (see <see cref="SpareForBackground"/>); unless it runs apart, with a worker.</summary>
    private async Task TakeBackgroundTurnAsync(int maxWorkers, bool apart, CancellationToken cancellationToken)
    {
        while (true)
        {
            var released = Volatile.Read(ref _released).Task;
            if (SpareForBackground())
            {
                if (Interlocked.Increment(ref _background) <= maxWorkers)
                {
                    if (apart && Volatile.Read(ref _waiting) == 0) return;
                    if (!apart)
                    {
                        Interlocked.Increment(ref _backgroundInSlots);
                        if (TryTakeFreeSlot()) return;
                        Interlocked.Decrement(ref _backgroundInSlots);
                    }
                }
                Interlocked.Decrement(ref _background);
            }
            // Woken by the next worker given back; the timeout covers a queue that empties without a release.
            try { await released.WaitAsync(TimeSpan.FromMilliseconds(100), cancellationToken); }
            catch (TimeoutException) { }
        }
    }

    /// <summary>One unit of a request's audio: a sentence in a voice and style, or a pause; rendered at <see cref="Rate"/>.</summary>
    /// <param name="Source">Word timings wanted: the text's map to the request's input.</param>
    private sealed record WorkItem(int Rate, ITtsEngine? Engine = null, string? VoiceId = null, string? Text = null,
        SynthesisOptions? Options = null, double Gain = 1.0, TimeSpan Pause = default, MappedText? Source = null);

    /// <summary>The request as ordered work items (<see cref="SynthesisPlanner"/>), with engines, options and the speaker's style.</summary>
    private List<WorkItem> Plan(SynthesisRequest request, SpeakerEmbedding? speaker)
    {
        Interlocked.Increment(ref _plans);
        var rate = Resolve(request.VoiceId).Voice.SampleRate;
        return _planner.Plan(request, id => Resolve(id).Voice).Select(item => ToWorkItem(item, rate, request.VoiceId, speaker)).ToList();
    }

    private WorkItem ToWorkItem(PlannedItem item, int rate, string requestVoiceId, SpeakerEmbedding? speaker)
    {
        if (item.IsPause) return new WorkItem(rate, Pause: item.Pause);
        var (engine, voice) = Resolve(item.VoiceId);
        var source = item.Source is null ? null : MappedText.FromPairs(item.Text!, item.Source)
            ?? throw new ArgumentException("A planned sentence's source map does not fit its text.", nameof(item));
        // The speaker's style belongs to its base voice; SSML segments in other voices speak as themselves.
        var options = new SynthesisOptions(item.Speed, item.Pitch, voice.Id.Equals(requestVoiceId, StringComparison.OrdinalIgnoreCase) ? speaker : null,
            Words: source is not null);
        return new WorkItem(rate, engine, voice.Id, item.Text, options, item.Gain, Source: source);
    }

    private async Task<AudioClip> RenderAsync(WorkItem item, CancellationToken cancellationToken)
    {
        if (item.Engine is null) return new PlannedItem(null, "", Pause: item.Pause).Silence(item.Rate);
        var clip = await item.Engine.SynthesizeSentenceAsync(item.VoiceId!, item.Text!, item.Options!, cancellationToken);
        Interlocked.Increment(ref _sentences);
        if (item.Source is not null) clip = clip with { Words = WordMapping.ToInput(clip, item.Source) };
        // Segments in other voices (SSML) are brought to the request voice's rate, so a stream has one rate.
        if (clip.SampleRate != item.Rate)
            clip = new AudioClip(item.Rate, Resampler.Resample(clip.Samples, clip.SampleRate, item.Rate), WordMapping.Rescale(clip.Words, clip.SampleRate, item.Rate));
        return item.Gain == 1.0 ? clip : Gain(clip, item.Gain);
    }

    /// <summary>
    /// The work items of one request spread over up to <c>maxLanes</c> workers: the first lane holds the
    /// worker the request queued for; more lanes start while workers are free. Each lane takes the next
    /// sentence not yet started; results are read back by index, so the order never changes.
    /// </summary>
    private sealed class SentenceLanes(SynthesisWorkerPool pool, IReadOnlyList<WorkItem> sentences,
        int maxLanes, CancellationToken cancellationToken)
    {
        private readonly TaskCompletionSource<AudioClip>[] _results =
            sentences.Select(_ => new TaskCompletionSource<AudioClip>(TaskCreationOptions.RunContinuationsAsynchronously)).ToArray();
        private readonly List<Task> _lanes = [];
        // Backpressure: at most this many sentences are synthesised ahead of the reader (a slow client
        // does not make the silo synthesise the whole text into memory, and leaving stops the work soon).
        private readonly int _window = Math.Max(2, maxLanes * 2);
        private readonly SemaphoreSlim _progress = new(0);
        private int _next = -1;
        private int _consumed;
        private int _laneCount;

        public Task Completion { get { lock (_lanes) return Task.WhenAll(_lanes); } }

        public Task<AudioClip> Result(int index) => _results[index].Task;

        public void Start()
        {
            AddLane(primary: true);
            TryAddLanes();
        }

        /// <summary>The reader took one more result: the window moves on.</summary>
        public void Consumed()
        {
            Interlocked.Increment(ref _consumed);
            _progress.Release();
            TryAddLanes();
        }

        private bool WindowFull => Volatile.Read(ref _next) + 1 - Volatile.Read(ref _consumed) >= _window;

        private void AddLane(bool primary = false)
        {
            Interlocked.Increment(ref _laneCount);
            lock (_lanes) _lanes.Add(Task.Run(() => RunLaneAsync(primary), CancellationToken.None));
        }

        private void TryAddLanes()
        {
            // Another lane is worth it only when at least two sentences are still unstarted.
            while (!cancellationToken.IsCancellationRequested && Volatile.Read(ref _laneCount) < maxLanes && !WindowFull
                   && sentences.Count - (Volatile.Read(ref _next) + 1) > Volatile.Read(ref _laneCount) && pool.TryTakeFreeSlot())
                AddLane();
        }

        private async Task RunLaneAsync(bool primary)
        {
            try
            {
                while (true)
                {
                    // The worker the request queued for waits for the reader; extra workers are given back instead.
                    while (WindowFull && Volatile.Read(ref _next) + 1 < sentences.Count)
                    {
                        if (!primary) return;
                        try { await _progress.WaitAsync(cancellationToken); }
                        catch (OperationCanceledException) { FailFrom(Volatile.Read(ref _next) + 1, null); return; }
                    }
                    var i = Interlocked.Increment(ref _next);
                    if (i >= sentences.Count) return;
                    try
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        _results[i].TrySetResult(await pool.RenderAsync(sentences[i], cancellationToken));
                    }
                    catch (Exception e)
                    {
                        FailFrom(i, e is OperationCanceledException ? null : e);
                        return;
                    }
                    TryAddLanes();
                }
            }
            finally
            {
                Interlocked.Decrement(ref _laneCount);
                pool.ReleaseSlot();
            }
        }

        /// <summary>Nothing after a failed or cancelled sentence is useful: fail the rest so the reader never hangs.</summary>
        private void FailFrom(int first, Exception? error)
        {
            for (var j = Math.Max(0, first); j < _results.Length; j++)
            {
                if (error is null) _results[j].TrySetCanceled(cancellationToken);
                else _results[j].TrySetException(error);
            }
            Interlocked.Exchange(ref _next, sentences.Count);
        }
    }

    private static AudioClip Gain(AudioClip clip, double gain)
    {
        var samples = new short[clip.Samples.Length];
        for (var i = 0; i < samples.Length; i++) samples[i] = (short)Math.Clamp(Math.Round(clip.Samples[i] * gain), short.MinValue, short.MaxValue);
        return clip with { Samples = samples };
    }

    private void Observe(TimeSpan elapsed)
    {
        // Lock-free EWMA with weight 1/8; a lost update under a race only delays the estimate.
        var old = Volatile.Read(ref _meanServiceTicks);
        Interlocked.CompareExchange(ref _meanServiceTicks, old + (elapsed.Ticks - old) / 8, old);
    }

    /// <summary>When a place is likely to be free: the queue ahead drained at the observed rate.</summary>
    private TimeSpan RetryAfter(int queued)
    {
        var mean = TimeSpan.FromTicks(Volatile.Read(ref _meanServiceTicks));
        var seconds = Math.Ceiling(queued * mean.TotalSeconds / _options.Parallelism);
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 120));
    }

    // Engines belong to the container; the pool owns only its slots. Disposal may be asked
    // more than once (the pool is registered under several service types).
    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _reloading.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}

using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Audio;
using Orleans.Tts.Grains.Engines;
using Orleans.Tts.Grains.Engines.Models;
using Orleans.Tts.Grains.Text;
using Orleans.Tts.Grains.Text.Normalization;
using Orleans.Tts.Models;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Telemetry;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Grains.Workers;

/// <summary>
/// The stateless synthesis workers of one silo: at most <see cref="WorkerPoolOptions.Parallelism"/>
/// requests run at once, at most <see cref="WorkerPoolOptions.QueueLimit"/> wait, and the next
/// one is refused at once with a Retry-After estimated from the queue and the observed service time.
/// The voice map is an immutable snapshot swapped whole when model engines reload, so lookups never lock.
/// </summary>
public sealed class SynthesisWorkerPool : ISynthesisWorker, IModelCatalog, IHostedService, IAsyncDisposable
{
    private readonly IReadOnlyList<ITtsEngine> _engines;
    private readonly WorkerPoolOptions _options;
    private readonly ILogger<SynthesisWorkerPool> _logger;
    private readonly TtsMetrics? _metrics;
    private readonly SemaphoreSlim _slots;
    private readonly SentenceSplitter _splitter;
    private readonly SpeechTextNormalizer _normalizer;
    private readonly Dictionary<string, string> _startFailures = [];
    private readonly ModelOptions? _modelOptions;
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private volatile VoiceMap _map = VoiceMap.Empty;
    private volatile bool _started;
    private int _waiting;
    private int _disposed;
    private int _running;
    // Exponentially weighted mean service time per request, in ticks (for Retry-After).
    private long _meanServiceTicks = TimeSpan.FromMilliseconds(200).Ticks;

    private sealed record VoiceMap(IReadOnlyDictionary<string, (ITtsEngine Engine, VoiceInfo Voice)> ById, IReadOnlyList<VoiceInfo> Voices)
    {
        public static VoiceMap Empty { get; } = new(new Dictionary<string, (ITtsEngine, VoiceInfo)>(), []);
    }

    public SynthesisWorkerPool(IEnumerable<ITtsEngine> engines, WorkerPoolOptions options, ILogger<SynthesisWorkerPool> logger, TtsMetrics? metrics = null,
        ModelOptions? modelOptions = null, SpeechTextNormalizer? normalizer = null)
    {
        _modelOptions = modelOptions;
        _normalizer = normalizer ?? SpeechTextNormalizer.Default;
        if (options.Parallelism < 1) throw new ArgumentOutOfRangeException(nameof(options), "Parallelism must be at least 1.");
        if (options.QueueLimit < 0) throw new ArgumentOutOfRangeException(nameof(options), "The queue limit cannot be negative.");
        _engines = engines.ToList();
        _options = options;
        _logger = logger;
        _metrics = metrics;
        _slots = new SemaphoreSlim(options.Parallelism, options.Parallelism);
        _splitter = new SentenceSplitter(options.MaxSentenceChars);
    }

    public SentenceSplitter Splitter => _splitter;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var engine in _engines)
        {
            try
            {
                await engine.StartAsync(cancellationToken);
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
            var ready = _started && _map.Voices.Count > 0;
            return new WorkerPoolStatus(ready, _options.Parallelism, Volatile.Read(ref _running), Volatile.Read(ref _waiting), _options.QueueLimit, detail);
        }
    }

    public async ValueTask<AudioClip> SynthesizeAsync(SynthesisRequest request, CancellationToken cancellationToken = default)
    {
        var (_, voice) = Resolve(request.VoiceId);
        var rate = voice.SampleRate;

        if (!_slots.Wait(0))
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
                await _slots.WaitAsync(cancellationToken);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
                _metrics?.WorkerQueueChanged(-1);
            }
        }

        Interlocked.Increment(ref _running);
        _metrics?.SynthesesInFlightChanged(1);
        var started = Stopwatch.GetTimestamp();
        try
        {
            // Plain text is one segment in the request's style; SSML arrives as segments (text, pauses, voices, prosody).
            var clips = new List<AudioClip>();
            foreach (var segment in request.Segments ?? [new SpokenSegment(request.Text, SegmentStyle.Default)])
            {
                if (segment is PauseSegment pause)
                    clips.Add(new AudioClip(rate, new short[(int)Math.Round(pause.Duration.TotalSeconds * rate)]));
                else if (segment is SpokenSegment spoken)
                    clips.AddRange(await SpeakAsync(request, spoken, cancellationToken));
            }
            // One sentence (the usual request) is returned as is: no copy of its samples. Segments of
            // other voices (SSML) are brought to the request voice's rate.
            var clip = clips.Count switch
            {
                0 => AudioClip.Empty(rate),
                1 => clips[0],
                _ => AudioClip.Concat(rate, clips.Select(c => c.SampleRate == rate ? c : new AudioClip(rate, Resampler.Resample(c.Samples, c.SampleRate, rate)))),
            };
            _metrics?.Synthesized(Stopwatch.GetElapsedTime(started), clip.Duration);
            return request.Volume == 1.0 ? clip : Gain(clip, request.Volume);
        }
        finally
        {
            Observe(Stopwatch.GetElapsedTime(started));
            Interlocked.Decrement(ref _running);
            _metrics?.SynthesesInFlightChanged(-1);
            _slots.Release();
        }
    }

    private async Task<List<AudioClip>> SpeakAsync(SynthesisRequest request, SpokenSegment segment, CancellationToken cancellationToken)
    {
        var style = segment.Style;
        var voiceId = style.VoiceId ?? request.VoiceId;
        var (engine, voice) = Resolve(voiceId);
        var options = new SynthesisOptions(
            Math.Clamp(request.Speed * style.Rate, SynthesisRequest.MinSpeed, SynthesisRequest.MaxSpeed),
            Math.Clamp(request.Pitch + style.Pitch, SynthesisRequest.MinPitch, SynthesisRequest.MaxPitch));
        // Before splitting: "Dr." and "3.5" must not end sentences, and every engine gets words, not written forms.
        var text = _normalizer.Normalize(segment.Text, style.Language ?? voice.Languages.FirstOrDefault() ?? "");
        var clips = new List<AudioClip>();
        foreach (var sentence in _splitter.Split(text))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var clip = await engine.SynthesizeSentenceAsync(voice.Id, sentence, options, cancellationToken);
            clips.Add(style.Gain == 1.0 ? clip : Gain(clip, style.Gain));
        }
        return clips;
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
            _slots.Dispose();
            _reloading.Dispose();
        }
        return ValueTask.CompletedTask;
    }
}

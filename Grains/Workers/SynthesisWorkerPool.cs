using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Grains.Engines;
using Orleans.Tts.Grains.Text;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Telemetry;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Grains.Workers;

/// <summary>
/// The stateless synthesis workers of one silo: at most <see cref="WorkerPoolOptions.Parallelism"/>
/// requests run at once, at most <see cref="WorkerPoolOptions.QueueLimit"/> wait, and the next
/// one is refused at once with a Retry-After estimated from the queue and the observed service time.
/// </summary>
public sealed class SynthesisWorkerPool : ISynthesisWorker, IHostedService, IAsyncDisposable
{
    private readonly IReadOnlyList<ITtsEngine> _engines;
    private readonly WorkerPoolOptions _options;
    private readonly ILogger<SynthesisWorkerPool> _logger;
    private readonly TtsMetrics? _metrics;
    private readonly SemaphoreSlim _slots;
    private readonly SentenceSplitter _splitter;
    private readonly Dictionary<string, string> _startFailures = [];
    private Dictionary<string, ITtsEngine> _engineByVoice = new(StringComparer.OrdinalIgnoreCase);
    private IReadOnlyList<VoiceInfo> _voices = [];
    private volatile bool _started;
    private int _waiting;
    private int _disposed;
    private int _running;
    // Exponentially weighted mean service time per request, in ticks (for Retry-After).
    private long _meanServiceTicks = TimeSpan.FromMilliseconds(200).Ticks;

    public SynthesisWorkerPool(IEnumerable<ITtsEngine> engines, WorkerPoolOptions options, ILogger<SynthesisWorkerPool> logger, TtsMetrics? metrics = null)
    {
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
        var byVoice = new Dictionary<string, ITtsEngine>(StringComparer.OrdinalIgnoreCase);
        foreach (var engine in _engines)
        {
            try
            {
                await engine.StartAsync(cancellationToken);
                foreach (var v in engine.Voices) byVoice.TryAdd(v.Id, engine);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One engine failing must not stop the others from serving.
                _startFailures[engine.Name] = e.Message;
                _logger.LogError(e, "Engine {Engine} failed to start; its voices are unavailable", engine.Name);
            }
        }
        _engineByVoice = byVoice;
        _voices = _engines.Where(e => !_startFailures.ContainsKey(e.Name)).SelectMany(e => e.Voices).ToList();
        _started = true;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public ValueTask<IReadOnlyList<VoiceInfo>> GetVoicesAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(_voices);

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
            var ready = _started && _voices.Count > 0;
            return new WorkerPoolStatus(ready, _options.Parallelism, Volatile.Read(ref _running), Volatile.Read(ref _waiting), _options.QueueLimit, detail);
        }
    }

    public async ValueTask<AudioClip> SynthesizeAsync(SynthesisRequest request, CancellationToken cancellationToken = default)
    {
        if (!_engineByVoice.TryGetValue(request.VoiceId, out var engine)) throw new UnknownVoiceException(request.VoiceId);
        var rate = _voices.First(v => v.Id.Equals(request.VoiceId, StringComparison.OrdinalIgnoreCase)).SampleRate;

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
            var options = new SynthesisOptions(request.Speed, request.Pitch);
            var clips = new List<AudioClip>();
            foreach (var sentence in _splitter.Split(request.Text))
            {
                cancellationToken.ThrowIfCancellationRequested();
                clips.Add(await engine.SynthesizeSentenceAsync(request.VoiceId, sentence, options, cancellationToken));
            }
            // One sentence (the usual request) is returned as is: no copy of its samples.
            var clip = clips.Count switch
            {
                0 => AudioClip.Empty(rate),
                1 => clips[0],
                _ => AudioClip.Concat(clips[0].SampleRate, clips),
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
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _slots.Dispose();
        return ValueTask.CompletedTask;
    }
}

using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Cluster;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Frontend.Remote;

/// <param name="Attempts">Silos tried for one synthesis (first try, retries and resumptions together) before giving up.</param>
/// <param name="ConnectTimeout">How long connecting to one silo may take.</param>
/// <param name="RequestLanes">Sentences of one request fetched at once (each from its own pick of silo); null: half the live silos' capacity, at least 2.</param>
/// <param name="AvoidUnreachable">How long a silo that could not be reached (or broke off) is passed over while another is untried: a
/// killed silo stays in the membership table until it is declared dead, and each sentence sent to it would cost an attempt.</param>
public sealed record RemoteWorkerOptions(int Attempts = 4, TimeSpan? ConnectTimeout = null, int? RequestLanes = null, TimeSpan? AvoidUnreachable = null);

/// <summary>
/// The synthesis workers of the whole cluster, as a frontend sees them: each sentence of a synthesis goes to a lightly
/// loaded silo (power of two random choices on reported load plus this frontend's own requests in flight) over HTTP/2
/// cleartext and comes back as a binary sentence frame; a request's sentences run on several silos at once (bounded lanes)
/// and are reassembled in order. A silo that cannot be reached, answers 503 or breaks off is left for another, which
/// synthesises the same sentence, within the attempt budget.
/// </summary>
public sealed class RemoteSynthesisWorker : ISynthesisWorker, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ISiloDirectory _directory;
    private readonly RemoteWorkerOptions _options;
    private readonly ILogger<RemoteSynthesisWorker> _logger;
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, int> _inFlight = new();
    // Silo id → Stopwatch timestamp until which it is passed over (unreachable, broke off, or draining).
    private readonly ConcurrentDictionary<string, long> _avoid = new();
    private IReadOnlyList<VoiceInfo>? _voices;
    private int _running;
    private long _retries;

    public RemoteSynthesisWorker(ISiloDirectory directory, RemoteWorkerOptions options, ILogger<RemoteSynthesisWorker> logger)
    {
        _directory = directory;
        _options = options;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout ?? TimeSpan.FromSeconds(2),
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        })
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public async ValueTask<IReadOnlyList<VoiceInfo>> GetVoicesAsync(CancellationToken cancellationToken = default)
    {
        if (_voices is { } known) return known;
        foreach (var silo in _directory.Gateways.OrderBy(_ => Random.Shared.Next()))
        {
            try
            {
                var voices = await _http.GetFromJsonAsync<List<VoiceInfo>>($"{silo.InternalAddress.TrimEnd('/')}/internal/v1/voices", Json, cancellationToken);
                if (voices is { Count: > 0 }) return _voices = voices;
            }
            catch (HttpRequestException e)
            {
                _logger.LogWarning("Silo {Silo} did not list its voices: {Error}", silo.Id, e.Message);
            }
        }
        return [];
    }

    public WorkerPoolStatus Status
    {
        get
        {
            var gateways = _directory.Gateways;
            var detail = new Dictionary<string, string>
            {
                ["frontend.silos"] = string.Join(",", gateways.Select(g => g.Id)),
                ["frontend.retries"] = Interlocked.Read(ref _retries).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["frontend.silosRefreshedAt"] = _directory.RefreshedAt?.ToString("O") ?? "never",
            };
            var avoided = gateways.Where(g => Avoided(g.Id)).Select(g => g.Id).ToList();
            if (avoided.Count > 0) detail["frontend.avoided"] = string.Join(",", avoided);
            if (gateways.Count == 0) detail["frontend"] = "no live silo with an internal endpoint in the membership table yet";
            return new WorkerPoolStatus(gateways.Count > 0, gateways.Sum(g => g.Capacity), Volatile.Read(ref _running), 0, 0, detail);
        }
    }

    public async ValueTask<AudioClip> SynthesizeAsync(SynthesisRequest request, CancellationToken cancellationToken = default)
    {
        var clips = new List<AudioClip>();
        await foreach (var clip in StreamAsync(request, cancellationToken)) clips.Add(clip);
        if (clips.Count > 0) return AudioClip.Concat(clips[0].SampleRate, clips);
        var rate = (await GetVoicesAsync(cancellationToken)).FirstOrDefault(v => v.Id.Equals(request.VoiceId, StringComparison.OrdinalIgnoreCase))?.SampleRate ?? 22050;
        return AudioClip.Empty(rate);
    }

    /// <summary>
    /// The request's work items (sentences and pauses), each fetched from a silo picked for it, over up to
    /// <see cref="Lanes"/> lanes at once and at most two windows of lanes ahead of the reader; yielded in order.
    /// Disposing the enumerator (the client left) cancels every silo's share at once.
    /// </summary>
    public async IAsyncEnumerable<AudioClip> StreamAsync(SynthesisRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _running);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var spread = new SpreadSentences(this, request, Lanes, stop.Token);
        spread.Start();
        try
        {
            for (var i = 0; ; i++)
            {
                var clip = await spread.Result(i);
                if (clip is null) yield break;
                spread.Consumed();
                yield return clip;
            }
        }
        finally
        {
            await stop.CancelAsync();
            await spread.Completion;
            Interlocked.Decrement(ref _running);
        }
    }

    /// <summary>
    /// Lanes for one request: <see cref="RemoteWorkerOptions.RequestLanes"/>, else half the live silos' capacity (at least 2), so
    /// one long text leaves room for others; never more than the sentences the text seems to have (its sentence ends), since
    /// a lane asked for a sentence past the end costs a round trip. Lanes are added when the real count turns out larger.
    /// </summary>
    private int Lanes =>
        _options.RequestLanes ?? Math.Max(2, (_directory.Gateways.Sum(g => g.Capacity) + 1) / 2);

    private static int EstimatedSentences(SynthesisRequest request) =>
        request.Segments is { Count: > 0 } segments
            ? segments.Sum(s => s is SpokenSegment spoken ? Math.Max(1, SentenceEnds(spoken.Text)) : 1)
            : Math.Max(1, SentenceEnds(request.Text));

    private static int SentenceEnds(string text)
    {
        var n = 0;
        foreach (var c in text) if (c is '.' or '!' or '?' or '。' or '！' or '？' or ';' or '；' or '\n') n++;
        return n;
    }

    /// <summary>
    /// One sentence (work item <paramref name="index"/>) from a lightly loaded silo: a silo that cannot be reached, answers 503 or
    /// breaks off is left for another, within the attempt budget. Returns the clip (null past the end) and the request's item count.
    /// </summary>
    private async Task<(AudioClip? Clip, int Total)> FetchAsync(SynthesisRequest request, int index, CancellationToken cancellationToken)
    {
        var tried = new HashSet<string>();
        TimeSpan? retryAfter = null;
        string last = "no silo was tried";
        for (var attempt = 1; ; attempt++)
        {
            var silo = Pick(tried);
            if (silo is null && tried.Count > 0)
            {
                // Every known silo failed: perhaps the list is stale; read it again and start over.
                try { await _directory.RefreshAsync(cancellationToken); } catch (Exception e) when (e is not OperationCanceledException) { }
                tried.Clear();
                silo = Pick(tried);
            }
            if (silo is null || attempt > _options.Attempts)
            {
                if (retryAfter is { } wait) throw new WorkerPoolSaturatedException(wait, 0, 0);
                throw new EngineUnavailableException(silo is null
                    ? "No silo is available to synthesise (none is registered as active)."
                    : $"{_options.Attempts} silos were tried for sentence {index + 1} and none synthesised it (last: {last}).");
            }
            if (attempt > 1) Interlocked.Increment(ref _retries);
            tried.Add(silo.Id);
            _inFlight.AddOrUpdate(silo.Id, 1, (_, n) => n + 1);
            try
            {
                using var message = new HttpRequestMessage(HttpMethod.Post, $"{silo.InternalAddress.TrimEnd('/')}{SentenceFrames.Path}")
                {
                    Content = JsonContent.Create(new RemoteSynthesisRequest(request, index, 1), options: Json),
                    Version = HttpVersion.Version20,
                    VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                };
                HttpResponseMessage response;
                try
                {
                    response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                }
                catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
                {
                    last = $"{silo.Id}: {e.Message}";
                    Avoid(silo.Id, _options.AvoidUnreachable ?? TimeSpan.FromSeconds(10));
                    _logger.LogWarning("Silo {Silo} could not be reached ({Error}); trying another", silo.Id, e.Message);
                    continue;
                }
                using (response)
                {
                    if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                    {
                        // A draining silo never takes work again: pass it over until the membership table says so too.
                        var draining = response.Headers.Contains(SentenceFrames.DrainingHeader);
                        if (draining) Avoid(silo.Id, TimeSpan.FromMinutes(1));
                        else retryAfter = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                        last = $"{silo.Id}: 503{(draining ? " (draining)" : "")}";
                        continue;
                    }
                    if (response.StatusCode == HttpStatusCode.BadRequest
                        && (await response.Content.ReadAsStringAsync(cancellationToken)).Contains("Unknown voice", StringComparison.Ordinal))
                        throw new UnknownVoiceException(request.VoiceId);
                    if (!response.IsSuccessStatusCode
                        || !int.TryParse(response.Headers.TryGetValues(SentenceFrames.TotalHeader, out var values) ? values.FirstOrDefault() : null, out var total))
                    {
                        last = $"{silo.Id}: {(int)response.StatusCode}";
                        continue;
                    }
                    try
                    {
                        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                        AudioClip? clip = null;
                        await foreach (var frame in SentenceFrames.ReadAsync(body, cancellationToken)) clip = frame;
                        return (index < total ? clip ?? throw new InvalidDataException($"Sentence {index + 1} of {total} came back empty.") : null, total);
                    }
                    catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is IOException or HttpRequestException or InvalidDataException)
                    {
                        last = $"{silo.Id} broke off sentence {index + 1}: {e.Message}";
                        Avoid(silo.Id, _options.AvoidUnreachable ?? TimeSpan.FromSeconds(10));
                        _logger.LogWarning("Silo {Silo} broke off sentence {Sentence} ({Error}); asking another", silo.Id, index + 1, e.Message);
                    }
                }
            }
            finally
            {
                _inFlight.AddOrUpdate(silo.Id, 0, (_, n) => n - 1);
            }
        }
    }

    /// <summary>
    /// The lanes of one request: each takes the next sentence not yet started and fetches it from a silo of its own choosing;
    /// results are read back by index, so the order never changes. The item count is learnt from the first answer; until
    /// then only as many lanes run as the text seems to have sentences. A failure fails the rest, so the reader never hangs.
    /// </summary>
    private sealed class SpreadSentences(RemoteSynthesisWorker worker, SynthesisRequest request, int maxLanes, CancellationToken cancellationToken)
    {
        private readonly List<TaskCompletionSource<AudioClip?>> _results = [];
        private readonly List<Task> _lanes = [];
        private readonly SemaphoreSlim _progress = new(0);
        private readonly int _window = Math.Max(2, maxLanes * 2);
        private Exception? _failure;
        private int _failedFrom = int.MaxValue;
        private int _total = -1;
        private int _next = -1;
        private int _consumed;
        private int _laneCount;

        public Task Completion { get { lock (_lanes) return Task.WhenAll(_lanes); } }

        public Task<AudioClip?> Result(int index) => Slot(index).Task;

        public void Start()
        {
            var lanes = Math.Min(maxLanes, EstimatedSentences(request));
            for (var i = 0; i < lanes; i++) AddLane();
        }

        public void Consumed()
        {
            Interlocked.Increment(ref _consumed);
            _progress.Release();
        }

        private TaskCompletionSource<AudioClip?> Slot(int index)
        {
            lock (_results)
            {
                while (_results.Count <= index)
                {
                    var slot = new TaskCompletionSource<AudioClip?>(TaskCreationOptions.RunContinuationsAsynchronously);
                    if (_failure is not null && _results.Count >= _failedFrom) Fail(slot, _failure);
                    else if (_total >= 0 && _results.Count >= _total) slot.TrySetResult(null);
                    _results.Add(slot);
                }
                return _results[index];
            }
        }

        private void Fail(TaskCompletionSource<AudioClip?> slot, Exception failure)
        {
            if (failure is OperationCanceledException) slot.TrySetCanceled(cancellationToken);
            else slot.TrySetException(failure);
        }

        private void AddLane()
        {
            Interlocked.Increment(ref _laneCount);
            lock (_lanes) _lanes.Add(Task.Run(RunLaneAsync, CancellationToken.None));
        }

        /// <summary>The count is known: every slot past the end reads as the end, and lanes are added up to the limit.</summary>
        private void Learn(int total)
        {
            lock (_results)
            {
                if (_total >= 0) return;
                _total = total;
                for (var j = total; j < _results.Count; j++) _results[j].TrySetResult(null);
            }
            while (Volatile.Read(ref _laneCount) < Math.Min(maxLanes, total) && !cancellationToken.IsCancellationRequested) AddLane();
        }

        private async Task RunLaneAsync()
        {
            var i = 0;
            try
            {
                while (true)
                {
                    // Backpressure: at most a window of sentences ahead of the reader.
                    while (Volatile.Read(ref _next) + 1 - Volatile.Read(ref _consumed) >= _window)
                    {
                        i = Volatile.Read(ref _next) + 1;
                        await _progress.WaitAsync(cancellationToken);
                    }
                    lock (_results) if (_failure is not null) return;
                    i = Interlocked.Increment(ref _next);
                    var total = Volatile.Read(ref _total);
                    if (total >= 0 && i >= total) return;
                    var (clip, learnt) = await worker.FetchAsync(request, i, cancellationToken);
                    Learn(learnt);
                    Slot(i).TrySetResult(clip);
                    if (clip is null) return;
                }
            }
            catch (Exception e)
            {
                // Nothing after a failed sentence is useful: it and every later slot fail, now and when asked for later
                // (earlier sentences still arrive, so a stream delivers everything before the failure).
                lock (_results)
                {
                    if (_failure is null || i < _failedFrom) (_failure, _failedFrom) = (e, i);
                    for (var j = _failedFrom; j < _results.Count; j++) Fail(_results[j], _failure);
                }
            }
            finally
            {
                Interlocked.Decrement(ref _laneCount);
            }
        }
    }

    /// <summary>
    /// Power of two random choices among the silos not yet tried, on (reported load + our requests in flight) / capacity; silos
    /// recently unreachable or draining only when no other is left untried.
    /// </summary>
    private SiloGateway? Pick(HashSet<string> tried)
    {
        var untried = _directory.Gateways.Where(g => !tried.Contains(g.Id)).ToList();
        var candidates = untried.Where(g => !Avoided(g.Id)).ToList();
        if (candidates.Count == 0) candidates = untried;
        if (candidates.Count <= 1) return candidates.FirstOrDefault();
        var a = candidates[Random.Shared.Next(candidates.Count)];
        var b = candidates[Random.Shared.Next(candidates.Count - 1) is var j && candidates[j] == a ? candidates.Count - 1 : j];
        return Score(a) <= Score(b) ? a : b;
    }

    private void Avoid(string siloId, TimeSpan span) =>
        _avoid[siloId] = System.Diagnostics.Stopwatch.GetTimestamp() + (long)(span.TotalSeconds * System.Diagnostics.Stopwatch.Frequency);

    private bool Avoided(string siloId)
    {
        if (!_avoid.TryGetValue(siloId, out var until)) return false;
        if (System.Diagnostics.Stopwatch.GetTimestamp() < until) return true;
        _avoid.TryRemove(new KeyValuePair<string, long>(siloId, until));
        return false;
    }

    private double Score(SiloGateway g) => (g.Load + g.Queued + _inFlight.GetValueOrDefault(g.Id)) / (double)Math.Max(1, g.Capacity);

    public void Dispose() => _http.Dispose();
}

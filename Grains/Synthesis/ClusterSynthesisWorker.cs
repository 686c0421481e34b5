using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Cluster;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Grains.Synthesis;

/// <param name="Attempts">Silos tried for one synthesis (first try, retries and resumptions together) before giving up.</param>
/// <param name="RequestLanes">Silo workers one request may keep busy at once (each lane has one sentence synthesising and one queued behind it,
/// each on its own pick of silo); null: half the live silos' capacity, at least 2.</param>
/// <param name="AvoidUnreachable">How long a silo that could not be reached (or broke off) is passed over while another is untried: a
/// killed silo stays in the membership until Orleans declares it dead, and each sentence sent to it would cost an attempt.</param>
/// <param name="VoicesRefresh">How old the silos' voice list and model versions may get before a request reads them again (a model
/// reload on the silos adds, removes or changes voices); default 10 s.</param>
/// <param name="GatewayGrace">How long a sentence still unanswered when this process loses a gateway connection is waited for before
/// it is asked again (a call that went through the lost gateway is never answered; one through another is, in its usual time); 1 s.</param>
public sealed record SpreadOptions(int Attempts = 4, int? RequestLanes = null, TimeSpan? AvoidUnreachable = null,
    TimeSpan? VoicesRefresh = null, TimeSpan? GatewayGrace = null);

/// <summary>
/// The synthesis workers of the whole cluster, as a frontend sees them: a synthesis is planned here once (normalised and cut
/// into sentences by <see cref="ISynthesisPlanner"/>, the silos' own code) and each sentence goes, alone, to a lightly loaded
/// silo (reported load plus this process's own sentences in flight there) as a call to that silo's <see cref="ISynthesisGrain"/>;
/// a request's sentences run on several silos at once (bounded lanes) and are reassembled in
/// order. A silo that cannot be reached, answers busy or breaks off is left for another, which synthesises the same sentence,
/// within the attempt budget. A request this process cannot plan (a voice it does not list, such as a Kokoro blend) is planned
/// by the silo, which is asked for one item at a time.
/// </summary>
public sealed class ClusterSynthesisWorker : ISynthesisWorker, IDisposable
{
    /// <summary>
    /// Sentences a lane has at silos at once: one being synthesised and one queued behind it at its silo, so the silo's worker
    /// starts the next sentence the moment it finishes one instead of idling for the round trip to the frontend and back.
    /// </summary>
    private const int SentencesPerLane = 2;
    private readonly ISiloDirectory _directory;
    private readonly SpreadOptions _options;
    private readonly ILogger<ClusterSynthesisWorker> _logger;
    private readonly IGrainFactory _grains;
    private readonly ConcurrentDictionary<string, int> _inFlight = new();
    // Silo id → Stopwatch timestamp until which it is passed over (unreachable, broke off, or draining).
    private readonly ConcurrentDictionary<string, long> _avoid = new();
    // Silo id → cancelled when a call to that silo finds it unreachable: its sentences in flight are asked of other silos.
    private readonly ConcurrentDictionary<string, CancellationTokenSource> _reachable = new();
    // Completed (and replaced) when this process loses a gateway: a sentence in flight may have gone through it.
    private TaskCompletionSource _gatewayLost = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ISynthesisPlanner? _planner;
    private VoiceList? _voices;
    private readonly SemaphoreSlim _voicesRefresh = new(1, 1);
    private int _running;
    private long _retries;

    /// <param name="planner">Plans texts here; null: every silo is sent the whole request and plans it itself.</param>
    public ClusterSynthesisWorker(IGrainFactory grains, ISiloDirectory directory, SpreadOptions options, ILogger<ClusterSynthesisWorker> logger, ISynthesisPlanner? planner = null)
    {
        _grains = grains;
        _planner = planner;
        _directory = directory;
        _options = options;
        _logger = logger;
        _directory.SiloLost += Lost;
        _directory.GatewayLost += GatewayLost;
    }

    private ISynthesisGrain SynthesisOn(SiloGateway silo) => _grains.GetGrain<ISynthesisGrain>(silo.Id);

    /// <summary>The silos' voices, read from one of them and again once older than <see cref="SpreadOptions.VoicesRefresh"/>.</summary>
    public async ValueTask<IReadOnlyList<VoiceInfo>> GetVoicesAsync(CancellationToken cancellationToken = default) =>
        (await VoicesAsync(cancellationToken))?.Voices ?? [];

    /// <summary>
    /// The current voice list (null while no silo has listed any). A stale list is read again by one request at a time, the others
    /// go on with the list they have; when no silo answers the old list stays.
    /// </summary>
    private async ValueTask<VoiceList?> VoicesAsync(CancellationToken cancellationToken)
    {
        var known = Volatile.Read(ref _voices);
        var maxAge = _options.VoicesRefresh ?? TimeSpan.FromSeconds(10);
        if (known is not null && System.Diagnostics.Stopwatch.GetElapsedTime(known.FetchedAt) < maxAge) return known;
        if (known is not null ? !await _voicesRefresh.WaitAsync(0, cancellationToken) : !await WaitAsync(_voicesRefresh, cancellationToken)) return known;
        try
        {
            var current = Volatile.Read(ref _voices);
            if (current is not null && current != known) return current;
            foreach (var silo in _directory.Gateways.OrderBy(_ => Random.Shared.Next()))
            {
                try
                {
                    var listed = await SynthesisOn(silo).GetVoicesAsync().WaitAsync(cancellationToken);
                    var (voices, versions) = (listed.Voices, listed.Versions);
                    if (voices is not { Count: > 0 }) continue;
                    if (known is not null && ModelVersion.Of(known.Versions) != ModelVersion.Of(versions))
                        _logger.LogInformation("The silos' models changed ({Old} → {New}); cache keys follow", ModelVersion.Of(known.Versions), ModelVersion.Of(versions));
                    var list = new VoiceList(voices, voices.GroupBy(v => v.Id, StringComparer.OrdinalIgnoreCase).ToDictionary(g => g.Key, g => g.First(), StringComparer.OrdinalIgnoreCase),
                        versions, System.Diagnostics.Stopwatch.GetTimestamp());
                    Volatile.Write(ref _voices, list);
                    return list;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested)
                {
                    _logger.LogWarning("Silo {Silo} did not list its voices: {Error}", silo.Name, e.Message);
                }
            }
            return known;
        }
        finally
        {
            _voicesRefresh.Release();
        }
    }

    private static async ValueTask<bool> WaitAsync(SemaphoreSlim gate, CancellationToken cancellationToken)
    {
        await gate.WaitAsync(cancellationToken);
        return true;
    }

    /// <summary>What one silo listed: its voices, by id, and the engine and model versions it synthesises with (<see cref="ModelVersion"/>).</summary>
    private sealed record VoiceList(IReadOnlyList<VoiceInfo> Voices, IReadOnlyDictionary<string, VoiceInfo> ById, IReadOnlyDictionary<string, string> Versions, long FetchedAt);

    public WorkerPoolStatus Status
    {
        get
        {
            var gateways = _directory.Gateways;
            var detail = new Dictionary<string, string>
            {
                ["frontend.silos"] = string.Join(",", gateways.Select(g => g.Name)),
                ["frontend.retries"] = Interlocked.Read(ref _retries).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["frontend.silosRefreshedAt"] = _directory.RefreshedAt?.ToString("O") ?? "never",
            };
            // The silos' engine and model versions, as their own details name them: the result cache keys follow them.
            foreach (var (key, value) in Volatile.Read(ref _voices)?.Versions ?? new Dictionary<string, string>()) detail[key] = value;
            var avoided = gateways.Where(g => Avoided(g.Id)).Select(g => g.Name).ToList();
            if (avoided.Count > 0) detail["frontend.avoided"] = string.Join(",", avoided);
            if (gateways.Count == 0) detail["frontend"] = "no live silo with synthesis workers in the cluster yet";
            return new WorkerPoolStatus(gateways.Count > 0, gateways.Sum(g => g.Capacity), Volatile.Read(ref _running), 0, 0, detail);
        }
    }

    public ValueTask<AudioClip> SynthesizeAsync(SynthesisRequest request, CancellationToken cancellationToken = default) =>
        SynthesizeAsync(request, null, cancellationToken);

    /// <summary><see cref="SynthesizeAsync(SynthesisRequest, CancellationToken)"/> of items the caller already planned (<paramref name="planned"/>, at <c>Rate</c>).</summary>
    internal async ValueTask<AudioClip> SynthesizeAsync(SynthesisRequest request, (IReadOnlyList<PlannedItem> Items, int Rate)? planned, CancellationToken cancellationToken)
    {
        var clips = new List<AudioClip>();
        await foreach (var clip in StreamAsync(request, planned, cancellationToken)) clips.Add(clip);
        if (clips.Count > 0) return AudioClip.Concat(clips[0].SampleRate, clips);
        var rate = (await GetVoicesAsync(cancellationToken)).FirstOrDefault(v => v.Id.Equals(request.VoiceId, StringComparison.OrdinalIgnoreCase))?.SampleRate ?? 22050;
        return AudioClip.Empty(rate);
    }

    /// <summary>
    /// The request's work items (sentences and pauses), each fetched from a silo picked for it, over up to
    /// <see cref="Lanes"/> lanes at once and at most two windows of lanes ahead of the reader; yielded in order.
    /// Disposing the enumerator (the client left) cancels every silo's share at once.
    /// </summary>
    public IAsyncEnumerable<AudioClip> StreamAsync(SynthesisRequest request, CancellationToken cancellationToken = default) =>
        StreamAsync(request, null, cancellationToken);

    /// <summary><see cref="StreamAsync(SynthesisRequest, CancellationToken)"/> of items the caller already planned (<paramref name="planned"/>, at <c>Rate</c>).</summary>
    internal async IAsyncEnumerable<AudioClip> StreamAsync(SynthesisRequest request, (IReadOnlyList<PlannedItem> Items, int Rate)? planned,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _running);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var plan = planned is { } p ? new RequestPlan(request.VoiceId, p.Rate, p.Items) : await PlanAsync(request, cancellationToken);
        var spread = new SpreadSentences(this, request, plan, Lanes, stop.Token);
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
    /// Lanes for one request: <see cref="SpreadOptions.RequestLanes"/>, else half the live silos' capacity (at least 2), so
    /// one long text leaves room for others; never more than the sentences the text seems to have (its sentence ends), since
    /// a lane asked for a sentence past the end costs a round trip. Lanes are added when the real count turns out larger.
    /// </summary>
    private int Lanes =>
        _options.RequestLanes ?? Math.Max(2, (_directory.Gateways.Sum(g => g.Capacity) + 1) / 2);

    /// <summary>The request's items at the request voice's rate, or null when a voice is not in this frontend's list (a silo resolves it).</summary>
    private async ValueTask<RequestPlan?> PlanAsync(SynthesisRequest request, CancellationToken cancellationToken)
    {
        if (_planner is null) return null;
        if ((await VoicesAsync(cancellationToken))?.ById is not { } voices) return null;
        try
        {
            var items = _planner.Plan(request, id => voices.TryGetValue(id, out var v) ? v : throw new UnknownVoiceException(id));
            return new RequestPlan(request.VoiceId, voices[request.VoiceId].SampleRate, items);
        }
        catch (UnknownVoiceException)
        {
            return null;
        }
    }

    /// <summary>A request planned by this frontend: its items, rendered at <paramref name="Rate"/>; <paramref name="Stream"/> names it to the silos.</summary>
    private sealed record RequestPlan(string VoiceId, int Rate, IReadOnlyList<PlannedItem> Items)
    {
        public string Stream { get; } = Guid.NewGuid().ToString("N");
    }

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
    /// A planned request sends the silo that item alone (a pause is silence made here); a request this process could not plan
    /// sends the whole request and the index, for the silo to plan.
    /// </summary>
    /// <param name="issued">Set once the first call for the sentence is on its way: the next sentence's call waits for it, so
    /// sentences sharing a silo reach its queue in order and the first is never behind a later one of its own request.</param>
    private async Task<(AudioClip? Clip, int Total)> FetchAsync(SynthesisRequest request, RequestPlan? plan, int index, TaskCompletionSource issued,
        CancellationToken cancellationToken)
    {
        if (plan is not null && plan.Items[index].IsPause) return (plan.Items[index].Silence(plan.Rate), plan.Items.Count);
        var tried = new HashSet<string>();
        var gatewayAsks = 0;
        TimeSpan? retryAfter = null;
        string last = "no silo was tried";
        for (var attempt = 1; ; attempt++)
        {
            var silo = attempt > _options.Attempts ? null : PickAndHold(tried);
            if (silo is null && tried.Count > 0 && attempt <= _options.Attempts)
            {
                // Every known silo failed: perhaps the list is stale; read it again and start over.
                try { await _directory.RefreshAsync(cancellationToken); } catch (Exception e) when (e is not OperationCanceledException) { }
                tried.Clear();
                silo = PickAndHold(tried);
            }
            if (silo is null)
            {
                if (retryAfter is { } wait) throw new WorkerPoolSaturatedException(wait, 0, 0);
                throw new EngineUnavailableException(attempt <= _options.Attempts
                    ? "No silo is available to synthesise (none is registered as active)."
                    : $"{_options.Attempts} silos were tried for sentence {index + 1} and none synthesised it (last: {last}).");
            }
            if (attempt > 1) Interlocked.Increment(ref _retries);
            tried.Add(silo.Id);
            try
            {
                SentenceResult answer;
                using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, Reachable(silo.Id));
                try
                {
                    var sent = plan is not null
                        ? SynthesisOn(silo).SynthesizePlannedAsync(new PlannedSynthesisRequest(plan.VoiceId, [plan.Items[index]], request.Speaker, plan.Stream, index), call.Token)
                        : SynthesisOn(silo).SynthesizeItemAsync(request, index, call.Token);
                    issued.TrySetResult();
                    answer = await AnswerAsync(sent, call.Token);
                }
                catch (GatewayLostException) when (!cancellationToken.IsCancellationRequested)
                {
                    // Its call went through the gateway that closed: asked again (not counted against the attempts the first two
                    // times), the silo itself not passed over for it; the abandoned call is cancelled, should it have got there.
                    await call.CancelAsync();
                    if (++gatewayAsks <= 2) attempt--;
                    // The next try is numbered 1 again, which the retry count below skips.
                    if (attempt < 1) Interlocked.Increment(ref _retries);
                    last = $"{silo.Name}: a gateway connection closed while the sentence was on its way";
                    _logger.LogWarning("Sentence {Sentence} was on its way to silo {Silo} when a gateway connection closed; asking again", index + 1, silo.Name);
                    continue;
                }
                catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is not UnknownVoiceException)
                {
                    // Unreachable, died mid-sentence or timed out: the sentence goes to another silo.
                    var error = e is OperationCanceledException ? "another call found the silo unreachable" : e.GetBaseException().Message;
                    last = $"{silo.Name}: {error}";
                    Avoid(silo.Id, _options.AvoidUnreachable ?? TimeSpan.FromSeconds(10));
                    // A killed silo never answers the sentences it had, and Orleans gives up on them only when the call times out
                    // (30 s), each holding its request's permit. The first call (or directory refresh) that cannot reach the silo
                    // sends them all elsewhere (and the loss of a gateway those that went through it: AnswerAsync).
                    if (GrainCallRetry.IsUndelivered(e)) Unreachable(silo.Id);
                    _logger.LogWarning("Silo {Silo} did not synthesise sentence {Sentence} ({Error}); asking another", silo.Name, index + 1, error);
                    continue;
                }
                switch (answer.Outcome)
                {
                    case SentenceOutcome.Done:
                        var total = plan?.Items.Count ?? answer.Total;
                        return (index < total ? answer.Clip ?? throw new InvalidDataException($"Sentence {index + 1} of {total} came back empty.") : null, total);
                    case SentenceOutcome.UnknownVoice:
                        throw new UnknownVoiceException(request.VoiceId, answer.Error);
                    case SentenceOutcome.Draining:
                        // A draining silo never takes work again: pass it over until membership says it is gone.
                        Avoid(silo.Id, TimeSpan.FromMinutes(1));
                        last = $"{silo.Name}: draining";
                        continue;
                    default:
                        retryAfter = answer.RetryAfter > TimeSpan.Zero ? answer.RetryAfter : TimeSpan.FromSeconds(1);
                        last = $"{silo.Name}: {answer.Outcome} ({answer.Error})";
                        continue;
                }
            }
            finally
            {
                // An entry lives only while sentences are in flight at its silo, so silos that come and go leave nothing behind.
                lock (_inFlight)
                    if (_inFlight.AddOrUpdate(silo.Id, 0, (_, n) => n - 1) <= 0) _inFlight.TryRemove(silo.Id, out _);
            }
        }
    }

    /// <summary>
    /// The lanes of one request: each takes the next sentence not yet started and fetches it from a silo of its own choosing;
    /// results are read back by index, so the order never changes. The item count is known from the plan, or learnt from the
    /// first answer (until then only as many lanes run as the text seems to have sentences). The first wave is one sentence per
    /// lane; the second sentence of each lane (queued at a silo behind its first) starts once the first answer is in, so the
    /// request's first sentence never waits behind another of its own. A failure fails the rest, so the reader never hangs.
    /// </summary>
    private sealed class SpreadSentences(ClusterSynthesisWorker worker, SynthesisRequest request, RequestPlan? plan, int lanes, CancellationToken cancellationToken)
    {
        private readonly int _maxLanes = lanes * SentencesPerLane;
        private int _laneLimit = lanes;
        private readonly List<TaskCompletionSource<AudioClip?>> _results = [];
        private readonly List<Task> _lanes = [];
        private readonly SemaphoreSlim _progress = new(0);
        private readonly int _window = Math.Max(2, lanes * SentencesPerLane * 2);
        private Exception? _failure;
        private int _failedFrom = int.MaxValue;
        private int _total = -1;
        private int _next = -1;
        private int _consumed;
        private int _laneCount;

        public Task Completion { get { lock (_lanes) return Task.WhenAll(_lanes); } }

        public Task<AudioClip?> Result(int index) => Slot(index).Task;

        private readonly Dictionary<int, TaskCompletionSource> _issued = [];

        /// <summary>Set once sentence <paramref name="index"/>'s first call has left; entries two windows behind are dropped.</summary>
        private TaskCompletionSource Issued(int index)
        {
            lock (_issued)
            {
                if (!_issued.TryGetValue(index, out var issued))
                {
                    _issued[index] = issued = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    _issued.Remove(index - 2 * _window);
                }
                return issued;
            }
        }

        public void Start()
        {
            if (plan is not null)
            {
                Learn(plan.Items.Count);
                return;
            }
            var first = Math.Min(_laneLimit, EstimatedSentences(request));
            for (var i = 0; i < first; i++) AddLane();
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
            AddLanes();
        }

        /// <summary>Lanes up to the current limit, never more than the request has items.</summary>
        private void AddLanes()
        {
            lock (_lanes)
                while (Volatile.Read(ref _laneCount) < Math.Min(Volatile.Read(ref _laneLimit), Volatile.Read(ref _total)) && !cancellationToken.IsCancellationRequested)
                    AddLane();
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
                    // Calls go out in sentence order (see FetchAsync); a lane waits only for the previous sentence's call to leave,
                    // and a sentence that needs no call (a pause) or fails lets the next one go all the same.
                    if (i > 0) await Issued(i - 1).Task.WaitAsync(cancellationToken);
                    var issued = Issued(i);
                    (AudioClip? Clip, int Total) fetched;
                    try { fetched = await worker.FetchAsync(request, plan, i, issued, cancellationToken); }
                    finally { issued.TrySetResult(); }
                    var (clip, learnt) = fetched;
                    Learn(learnt);
                    Slot(i).TrySetResult(clip);
                    if (clip is null) return;
                    if (Interlocked.Exchange(ref _laneLimit, _maxLanes) != _maxLanes) AddLanes();
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
    /// The least loaded silo not yet tried. This frontend's own sentences in flight are exact; the load a silo reports is up to a
    /// heartbeat old (and includes this frontend's sentences of then), so it counts only where it is higher — work from other
    /// frontends — and on a tie the silo with fewer of our sentences wins, then chance. Every silo is looked at (a list of silos is
    /// short): with three silos and three sentences in flight, two random choices put the third on a busy silo one time in three.
    /// </summary>
    private SiloGateway? PickAndHold(HashSet<string> tried)
    {
        // Picking and counting the pick are one step, or two lanes picking at once would both choose the same idle silo.
        lock (_inFlight)
        {
            var silo = Pick(tried);
            if (silo is not null) _inFlight.AddOrUpdate(silo.Id, 1, (_, n) => n + 1);
            return silo;
        }
    }

    /// <summary>Silos recently unreachable or draining are chosen only when no other is left untried.</summary>
    private SiloGateway? Pick(HashSet<string> tried) => Pick(tried, passOverAvoided: true) ?? Pick(tried, passOverAvoided: false);

    private SiloGateway? Pick(HashSet<string> tried, bool passOverAvoided)
    {
        SiloGateway? best = null;
        (double Load, double Ours, int Chance) bestScore = default;
        foreach (var g in _directory.Gateways)
        {
            if (tried.Contains(g.Id) || passOverAvoided && Avoided(g.Id)) continue;
            var ours = _inFlight.GetValueOrDefault(g.Id);
            var capacity = (double)Math.Max(1, g.Capacity);
            var score = ((Math.Max(g.Load, ours) + g.Queued) / capacity, ours / capacity, Random.Shared.Next());
            if (best is null || score.CompareTo(bestScore) < 0) (best, bestScore) = (g, score);
        }
        return best;
    }

    private CancellationToken Reachable(string siloId) => _reachable.GetOrAdd(siloId, _ => new CancellationTokenSource()).Token;

    /// <summary>A silo left the cluster (killed, or stopped): its sentences in flight go elsewhere, and nothing is kept about it.</summary>
    private void Lost(string siloId)
    {
        Unreachable(siloId);
        _avoid.TryRemove(siloId, out _);
    }

    /// <summary>Tells every sentence in flight that a gateway was lost; calls made after this wait on the next loss.</summary>
    private void GatewayLost() =>
        Interlocked.Exchange(ref _gatewayLost, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();

    /// <summary>
    /// The silo's answer; if this process loses a gateway connection meanwhile and the answer does not come within
    /// <see cref="SpreadOptions.GatewayGrace"/> after that, <see cref="GatewayLostException"/>: Orleans' client does not fail a call
    /// whose gateway closed, it waits for its response timeout (30 s), the request's permit held all that time.
    /// </summary>
    private async Task<SentenceResult> AnswerAsync(Task<SentenceResult> sent, CancellationToken call)
    {
        var lost = Volatile.Read(ref _gatewayLost).Task;
        if (await Task.WhenAny(sent, lost).WaitAsync(call) == sent) return await sent;
        using var grace = CancellationTokenSource.CreateLinkedTokenSource(call);
        grace.CancelAfter(_options.GatewayGrace ?? TimeSpan.FromSeconds(1));
        try
        {
            return await sent.WaitAsync(grace.Token);
        }
        catch (OperationCanceledException) when (!call.IsCancellationRequested)
        {
            throw new GatewayLostException();
        }
    }

    private sealed class GatewayLostException : Exception;

    /// <summary>Ends the waits of every sentence in flight at the silo; calls made after this get a fresh token.</summary>
    private void Unreachable(string siloId)
    {
        if (!_reachable.TryRemove(siloId, out var calls)) return;
        // Not disposed: a lane may be reading its token right now.
        calls.Cancel();
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

    public void Dispose()
    {
        _directory.SiloLost -= Lost;
        _directory.GatewayLost -= GatewayLost;
        _voicesRefresh.Dispose();
    }
}

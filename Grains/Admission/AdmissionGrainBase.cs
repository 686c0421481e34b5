using Orleans.Tts.Admission;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Admission;

/// <summary>
/// The waiting and degradation logic shared by the in-process admission (embedded, local fallback) and the cluster's: try
/// for a permit; else wait in a bounded first-come-first-served queue until the deadline, then refuse
/// with a Retry-After estimated from the queue depth and the observed permit hold time. A release
/// (here, or anywhere through NOTIFY) wakes only the first waiter, and only the first waiter re-checks
/// at <see cref="AdmissionOptions.PollInterval"/>, so an overload does not turn into a storm of
/// attempts. With <see cref="AdmissionOptions.DeadlineCoversService"/> (the default) the deadline is the
/// request's, not the queue's: a request is queued only if its expected wait plus the expected service
/// time (<see cref="ServiceTimeEstimate"/>) of its first sentence fit in it, and a waiter is refused as soon
/// as its time left no longer covers that, so nothing is admitted only to start its audio late.
/// </summary>
public abstract class AdmissionGrainBase(AdmissionOptions options, ClusterLoad load, TtsMetrics? metrics = null, TimeProvider? time = null) : IAdmission
{
    private readonly LinkedList<Waiter> _queue = new();
    private readonly ServiceTimeEstimate _service = new(options.InitialServiceTime);
    // How long one permit attempt takes (a call to the admission grain in a cluster): a waiter stops waiting that much earlier, so a
    // permit won at the last moment still leaves its synthesis the time it needs (the overload run's admitted p99 was 2.03 s
    // against a 2 s deadline while every attempt under load took tens of milliseconds).
    private readonly ServiceTimeEstimate _attempts = new(TimeSpan.Zero);
    private readonly TimeProvider _time = time ?? TimeProvider.System;
    private volatile int _lastLimit, _lastInUse;

    protected AdmissionOptions Options => options;
    protected ClusterLoad Load => load;

    /// <summary>One attempt: a release handle when granted; reports the limit and use seen.</summary>
    protected abstract ValueTask<Attempt> TryAcquireAsync(string clientId, CancellationToken ct);
    protected abstract ValueTask ReleaseAsync(object handle);
    protected abstract string Backend { get; }
    protected virtual string? DegradationOf(object handle) => null;

    protected internal readonly record struct Attempt(object? Handle, int Limit, int InUse, int ClientInUse);

    public AdmissionStatus Status => new(_lastLimit, _lastInUse, load.HeldHere, load.QueuedHere, Backend);

    private TimeSpan WaitOf(AdmissionRequest request) =>
        request.MaxWait <= TimeSpan.Zero ? options.DefaultWait : request.MaxWait > options.MaxWait ? options.MaxWait : request.MaxWait;

    public AdmissionRejectedException? RefuseEarly(AdmissionRequest request)
    {
        var waiting = QueueLength;
        // An empty queue has nobody polling, so the last look may be stale: such a request tries for a permit.
        if (waiting == 0) return null;
        var seen = new Attempt(null, _lastLimit, _lastInUse, 0);
        if (waiting >= options.QueueLimit)
            return Reject("admission_queue_full", $"All {options.QueueLimit} waiting places of this silo are taken ({seen.InUse} of {seen.Limit} permits in use).", seen);
        return ExpectedWaitTooLong(waiting + load.QueuedElsewhere, request, seen, IdleHere);
    }

    /// <summary>How long ago the request arrived, when it says (its wait runs from then).</summary>
    private TimeSpan Spent(AdmissionRequest request) =>
        request.ArrivedAt == 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(Math.Max(0, (_time.GetTimestamp() - request.ArrivedAt) / (double)_time.TimestampFrequency));

    /// <summary>
    /// The service time the deadline of <paramref name="request"/> must still cover when it is admitted: the synthesis of its
    /// first sentence, after which its audio starts (a stream's first bytes; a longer whole file takes longer by its length,
    /// which its client chose). Zero when the deadline bounds only the queue.
    /// </summary>
    private TimeSpan Reserve(AdmissionRequest request) => options.DeadlineCoversService ? _service.Expected(request.FirstAudioChars) : TimeSpan.Zero;

    /// <summary>
    /// The refusal of a request with <paramref name="ahead"/> waiters before it when every permit is taken and their turns
    /// (plus, when the deadline covers it, the request's own service time) take longer than its wait. Permits counted in use but
    /// kept unused here (<paramref name="idle"/>) are no wait: they go back as soon as anyone waits.
    /// </summary>
    private AdmissionRejectedException? ExpectedWaitTooLong(int ahead, AdmissionRequest request, Attempt attempt, int idle)
    {
        if (attempt.Limit <= 0 || attempt.InUse - idle < attempt.Limit) return null;
        var wait = WaitOf(request);
        var spent = Spent(request);
        var queued = _service.MeanHold * (ahead + 1) / attempt.Limit + _attempts.Expected(0);
        var service = Reserve(request);
        if (spent + queued + service <= wait) return null;
        var expected = service > TimeSpan.Zero
            ? $"about {queued.TotalSeconds:0.##} s of waiting and {service.TotalSeconds:0.##} s of synthesis"
            : $"about {queued.TotalSeconds:0.##} s";
        var left = spent >= TimeSpan.FromMilliseconds(10) ? $" ({Math.Max(0, (wait - spent).TotalSeconds):0.###} s of it left)" : "";
        return Reject("admission_expected_wait",
            $"All {attempt.Limit} synthesis permits of the cluster are in use and {ahead} requests wait ahead: {expected}, more than this request's {wait.TotalSeconds:0.###} s limit{left}.", attempt);
    }

    public async ValueTask<AdmissionPermit> AcquireAsync(AdmissionRequest request, CancellationToken cancellationToken = default)
    {
        var wait = WaitOf(request);
        // The deadline runs from the request's arrival (or from here), so the time before (and a permit attempt that had to go to the admission grain) counts too.
        var deadline = _time.GetTimestamp() - (long)(Spent(request).TotalSeconds * _time.TimestampFrequency) + (long)(wait.TotalSeconds * _time.TimestampFrequency);
        var voice = request.VoiceId;
        string? degradation = null;
        if (request.FallbackVoiceId is { } fallback && request.TextLength > options.LongTextChars && Saturated)
        {
            voice = fallback;
            degradation = "fallback-voice";
        }

        // Waiters are served first come, first served: a newcomer behind a queue does not jump it (nor cost a round trip).
        var idle = IdleHere;
        var attempt = QueueLength == 0 ? await TryTimedAsync(request.ClientId, cancellationToken) : new Attempt(null, _lastLimit, _lastInUse, 0);
        if (attempt.Handle is null)
        {
            if (load.AddQueued(1) > options.QueueLimit)
            {
                load.AddQueued(-1);
                throw Reject("admission_queue_full", $"All {options.QueueLimit} waiting places of this silo are taken ({attempt.InUse} of {attempt.Limit} permits in use).", attempt);
            }
            var waiter = new Waiter(request.ClientId);
            LinkedListNode<Waiter> node;
            lock (_queue) node = _queue.AddLast(waiter);
            try
            {
                // Refuse at once what cannot be served in time: the queue ahead at the observed hold time (and the request's own
                // service time) is longer than this request's wait.
                if (ExpectedWaitTooLong(QueueLength - 1 + load.QueuedElsewhere, request, attempt, idle) is { } tooLong) throw tooLong;
                while (attempt.Handle is null)
                {
                    // Admitted with less time left than a synthesis takes, the request would finish after its deadline: refused now instead.
                    var left = TimeSpan.FromSeconds((deadline - _time.GetTimestamp()) / (double)_time.TimestampFrequency);
                    var reserve = Reserve(request) + _attempts.Expected(0);
                    if (left <= reserve) throw Late(attempt, wait, left, reserve);
                    // Only the first waiter polls (in case a wake-up was missed); the others sleep until woken or out of time.
                    bool first;
                    lock (_queue) first = _queue.First == node;
                    var signal = waiter.Signal.Task;
                    var timeout = first && left - reserve > options.PollInterval ? options.PollInterval : left - reserve;
                    await signal.WaitAsync(timeout, _time, cancellationToken)
                        .ContinueWith(t => { if (t.IsCanceled && cancellationToken.IsCancellationRequested) cancellationToken.ThrowIfCancellationRequested(); }, TaskScheduler.Default);
                    if (signal.IsCompleted) waiter.Signal = NewSignal();
                    else if (!first) continue;
                    attempt = await TryTimedAsync(request.ClientId, cancellationToken);
                    // Permits are free but not for this client: let the next waiter try.
                    if (attempt.Handle is null && attempt.InUse < attempt.Limit) WakeAfter(node);
                }
            }
            finally
            {
                load.AddQueued(-1);
                lock (_queue) _queue.Remove(node);
                // The next in line takes over polling, and tries at once in case more permits are free.
                WakeAfter(null);
            }
        }
        load.AddHeld(1);
        var degraded = Combine(degradation, DegradationOf(attempt.Handle));
        if (degraded is not null) metrics?.Degraded(degraded);
        return new Permit(this, attempt.Handle, voice, degraded, request.TextLength, _time.GetTimestamp());
    }

    private async ValueTask<Attempt> TryTimedAsync(string clientId, CancellationToken cancellationToken)
    {
        var started = _time.GetTimestamp();
        var attempt = await TryAcquireAsync(clientId, cancellationToken);
        _attempts.Observe(_time.GetElapsedTime(started), 0);
        return attempt;
    }

    /// <summary>The refusal of a waiter whose time is up: no time left at all, or (deadline covering the service) less than its synthesis takes.</summary>
    private AdmissionRejectedException Late(Attempt attempt, TimeSpan wait, TimeSpan left, TimeSpan reserve)
    {
        if (attempt.ClientInUse >= options.ClientLimit(attempt.Limit) && attempt.InUse < attempt.Limit)
            return Reject("client_share",
                $"This client already holds {attempt.ClientInUse} of the {options.ClientLimit(attempt.Limit)} permits one client may hold ({options.ClientMaxShare:P0} of {attempt.Limit}).", attempt);
        if (left <= TimeSpan.Zero || reserve <= TimeSpan.Zero)
            return Reject("admission_wait_timeout", $"All {attempt.Limit} synthesis permits of the cluster stayed in use for {wait.TotalSeconds:0.###} s.", attempt);
        return Reject("admission_deadline",
            $"All {attempt.Limit} synthesis permits of the cluster stayed in use: {left.TotalSeconds:0.###} s of this request's {wait.TotalSeconds:0.###} s limit are left, less than the {reserve.TotalSeconds:0.###} s a permit attempt and a synthesis may take now, so it could not finish in time.", attempt);
    }

    private static string? Combine(string? a, string? b) => a is null ? b : b is null ? a : $"{a}, {b}";

    /// <summary>Queue at or above the threshold, or every permit taken at the last look.</summary>
    protected bool Saturated => load.QueuedHere + load.QueuedElsewhere >= options.DegradeQueueThreshold || (_lastLimit > 0 && _lastInUse - IdleHere >= _lastLimit);

    /// <summary>Permits counted in use that this process holds unused (leased, or lingering for their client): free in all but name.</summary>
    protected virtual int IdleHere => 0;

    /// <summary>The limit last seen (the cluster's, through the admission grain).</summary>
    protected int LastLimit => _lastLimit;

    /// <summary>The permits in use last seen.</summary>
    protected int LastInUse => _lastInUse;

    /// <summary>Requests wait here for a permit.</summary>
    protected bool Waiting => QueueLength > 0;

    protected void Observed(int limit, int inUse)
    {
        _lastLimit = limit;
        _lastInUse = inUse;
    }

    /// <summary>A permit was released here or elsewhere: the first waiter of this process tries again.</summary>
    protected void Pulse() => WakeAfter(null);

    private int QueueLength { get { lock (_queue) return _queue.Count; } }

    /// <summary>Whether the first waiter of this process is <paramref name="clientId"/>'s (it can take that client's permit at once).</summary>
    protected bool FirstWaiterIs(string clientId)
    {
        lock (_queue) return _queue.First?.Value.ClientId == clientId;
    }

    /// <summary>Wakes the waiter after <paramref name="node"/> (the first waiter when null).</summary>
    private void WakeAfter(LinkedListNode<Waiter>? node)
    {
        lock (_queue)
        {
            var next = node is null ? _queue.First : node.List is null ? _queue.First : node.Next;
            next?.Value.Signal.TrySetResult();
        }
    }

    private sealed class Waiter(string clientId)
    {
        public string ClientId => clientId;

        public TaskCompletionSource Signal { get; set; } = NewSignal();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private AdmissionRejectedException Reject(string reason, string why, Attempt attempt)
    {
        metrics?.Rejected(reason);
        return new($"{why} Retry later.", RetryAfter(load.QueuedHere + load.QueuedElsewhere, Math.Max(1, attempt.Limit)));
    }

    /// <summary>When a permit is likely to be free for a newcomer: the queue ahead drained at the observed rate.</summary>
    public TimeSpan RetryAfter(int queued, int limit)
    {
        var mean = _service.MeanHold;
        var seconds = Math.Ceiling((queued + 1) * mean.TotalSeconds / limit);
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 120));
    }

    private async ValueTask ReturnAsync(object handle, long acquiredAt, int chars)
    {
        _service.Observe(_time.GetElapsedTime(acquiredAt), chars);
        load.AddHeld(-1);
        try { await ReleaseAsync(handle); }
        finally { Pulse(); }
    }

    private sealed class Permit(AdmissionGrainBase owner, object handle, string voiceId, string? degradation, int chars, long acquiredAt) : AdmissionPermit
    {
        private int _released;
        public override string VoiceId => voiceId;
        public override string? Degradation => degradation;
        public override ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _released, 1) == 0 ? owner.ReturnAsync(handle, acquiredAt, chars) : ValueTask.CompletedTask;
    }
}

using System.Diagnostics;
using Orleans.Tts.Admission;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Admission;

/// <summary>
/// The waiting and degradation logic shared by the in-memory and PostgreSQL admission grains: try
/// for a permit; else wait in a bounded first-come-first-served queue until the deadline, then refuse
/// with a Retry-After estimated from the queue depth and the observed permit hold time. A release
/// (here, or anywhere through NOTIFY) wakes only the first waiter, and only the first waiter re-checks
/// at <see cref="AdmissionOptions.PollInterval"/>, so an overload does not turn into a storm of
/// attempts; a request whose expected wait already exceeds its limit is refused at once.
/// </summary>
public abstract class AdmissionGrainBase(AdmissionOptions options, ClusterLoad load, TtsMetrics? metrics = null) : IAdmissionGrain
{
    private readonly LinkedList<Waiter> _queue = new();
    // Exponentially weighted mean permit hold time, in ticks; starts at a guess and follows observations.
    private long _meanHoldTicks = TimeSpan.FromMilliseconds(500).Ticks;
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
        return ExpectedWaitTooLong(waiting + load.QueuedElsewhere, WaitOf(request), seen);
    }

    /// <summary>The refusal of a request with <paramref name="ahead"/> waiters before it when every permit is taken and their turns take longer than its wait.</summary>
    private AdmissionRejectedException? ExpectedWaitTooLong(int ahead, TimeSpan wait, Attempt attempt)
    {
        var expected = TimeSpan.FromTicks(Volatile.Read(ref _meanHoldTicks) * (ahead + 1) / Math.Max(1, attempt.Limit));
        return attempt.Limit > 0 && attempt.InUse >= attempt.Limit && expected > wait
            ? Reject("admission_expected_wait",
                $"All {attempt.Limit} synthesis permits of the cluster are in use and {ahead} requests wait ahead: about {expected.TotalSeconds:0.#} s, more than this request's {wait.TotalSeconds:0.###} s limit.", attempt)
            : null;
    }

    public async ValueTask<AdmissionPermit> AcquireAsync(AdmissionRequest request, CancellationToken cancellationToken = default)
    {
        var wait = WaitOf(request);
        var voice = request.VoiceId;
        string? degradation = null;
        if (request.FallbackVoiceId is { } fallback && request.TextLength > options.LongTextChars && Saturated)
        {
            voice = fallback;
            degradation = "fallback-voice";
        }

        // Waiters are served first come, first served: a newcomer behind a queue does not jump it (nor cost a round trip).
        var attempt = QueueLength == 0 ? await TryAcquireAsync(request.ClientId, cancellationToken) : new Attempt(null, _lastLimit, _lastInUse, 0);
        if (attempt.Handle is null)
        {
            if (load.AddQueued(1) > options.QueueLimit)
            {
                load.AddQueued(-1);
                throw Reject("admission_queue_full", $"All {options.QueueLimit} waiting places of this silo are taken ({attempt.InUse} of {attempt.Limit} permits in use).", attempt);
            }
            var waiter = new Waiter();
            LinkedListNode<Waiter> node;
            lock (_queue) node = _queue.AddLast(waiter);
            try
            {
                // Refuse at once what cannot be served in time: the queue ahead at the observed hold time is longer than this request's wait.
                if (ExpectedWaitTooLong(QueueLength - 1 + load.QueuedElsewhere, wait, attempt) is { } tooLong) throw tooLong;
                var deadline = Stopwatch.GetTimestamp() + (long)(wait.TotalSeconds * Stopwatch.Frequency);
                while (attempt.Handle is null)
                {
                    var left = TimeSpan.FromSeconds((deadline - Stopwatch.GetTimestamp()) / (double)Stopwatch.Frequency);
                    if (left <= TimeSpan.Zero)
                    {
                        var clientShare = attempt.ClientInUse >= options.ClientLimit(attempt.Limit) && attempt.InUse < attempt.Limit;
                        var why = clientShare
                            ? $"This client already holds {attempt.ClientInUse} of the {options.ClientLimit(attempt.Limit)} permits one client may hold ({options.ClientMaxShare:P0} of {attempt.Limit})."
                            : $"All {attempt.Limit} synthesis permits of the cluster stayed in use for {wait.TotalSeconds:0.###} s.";
                        throw Reject(clientShare ? "client_share" : "admission_wait_timeout", why, attempt);
                    }
                    // Only the first waiter polls (in case a wake-up was missed); the others sleep until woken or out of time.
                    bool first;
                    lock (_queue) first = _queue.First == node;
                    var signal = waiter.Signal.Task;
                    var timeout = first && left > options.PollInterval ? options.PollInterval : left;
                    await signal.WaitAsync(timeout, cancellationToken)
                        .ContinueWith(t => { if (t.IsCanceled && cancellationToken.IsCancellationRequested) cancellationToken.ThrowIfCancellationRequested(); }, TaskScheduler.Default);
                    if (signal.IsCompleted) waiter.Signal = NewSignal();
                    else if (!first) continue;
                    attempt = await TryAcquireAsync(request.ClientId, cancellationToken);
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
        return new Permit(this, attempt.Handle, voice, degraded);
    }

    private static string? Combine(string? a, string? b) => a is null ? b : b is null ? a : $"{a}, {b}";

    /// <summary>Queue at or above the threshold, or every permit taken at the last look.</summary>
    protected bool Saturated => load.QueuedHere + load.QueuedElsewhere >= options.DegradeQueueThreshold || (_lastLimit > 0 && _lastInUse >= _lastLimit);

    protected void Observed(int limit, int inUse)
    {
        _lastLimit = limit;
        _lastInUse = inUse;
    }

    /// <summary>A permit was released here or elsewhere: the first waiter of this process tries again.</summary>
    protected void Pulse() => WakeAfter(null);

    private int QueueLength { get { lock (_queue) return _queue.Count; } }

    /// <summary>Wakes the waiter after <paramref name="node"/> (the first waiter when null).</summary>
    private void WakeAfter(LinkedListNode<Waiter>? node)
    {
        lock (_queue)
        {
            var next = node is null ? _queue.First : node.List is null ? _queue.First : node.Next;
            next?.Value.Signal.TrySetResult();
        }
    }

    private sealed class Waiter
    {
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
        var mean = TimeSpan.FromTicks(Volatile.Read(ref _meanHoldTicks));
        var seconds = Math.Ceiling((queued + 1) * mean.TotalSeconds / limit);
        return TimeSpan.FromSeconds(Math.Clamp(seconds, 1, 120));
    }

    private async ValueTask ReturnAsync(object handle, long acquiredAt)
    {
        var held = Stopwatch.GetElapsedTime(acquiredAt);
        var old = Volatile.Read(ref _meanHoldTicks);
        Interlocked.CompareExchange(ref _meanHoldTicks, old + (held.Ticks - old) / 8, old);
        load.AddHeld(-1);
        try { await ReleaseAsync(handle); }
        finally { Pulse(); }
    }

    private sealed class Permit(AdmissionGrainBase owner, object handle, string voiceId, string? degradation) : AdmissionPermit
    {
        private readonly long _acquiredAt = Stopwatch.GetTimestamp();
        private int _released;
        public override string VoiceId => voiceId;
        public override string? Degradation => degradation;
        public override ValueTask DisposeAsync() =>
            Interlocked.Exchange(ref _released, 1) == 0 ? owner.ReturnAsync(handle, _acquiredAt) : ValueTask.CompletedTask;
    }
}

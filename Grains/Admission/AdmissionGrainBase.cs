using System.Diagnostics;
using Orleans.Tts.Admission;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Admission;

/// <summary>
/// The waiting and degradation logic shared by the in-memory and PostgreSQL admission grains: try
/// for a permit; else wait in a bounded queue (woken when a permit is released anywhere, re-checking
/// at <see cref="AdmissionOptions.PollInterval"/>) until the deadline; then refuse with a Retry-After
/// estimated from the queue depth and the observed permit hold time.
/// </summary>
public abstract class AdmissionGrainBase(AdmissionOptions options, ClusterLoad load, TtsMetrics? metrics = null) : IAdmissionGrain
{
    private TaskCompletionSource _released = NewSignal();
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

    public async ValueTask<AdmissionPermit> AcquireAsync(AdmissionRequest request, CancellationToken cancellationToken = default)
    {
        var wait = request.MaxWait <= TimeSpan.Zero ? options.DefaultWait : request.MaxWait > options.MaxWait ? options.MaxWait : request.MaxWait;
        var voice = request.VoiceId;
        string? degradation = null;
        if (request.FallbackVoiceId is { } fallback && request.TextLength > options.LongTextChars && Saturated)
        {
            voice = fallback;
            degradation = "fallback-voice";
        }

        var attempt = await TryAcquireAsync(request.ClientId, cancellationToken);
        if (attempt.Handle is null)
        {
            if (load.AddQueued(1) > options.QueueLimit)
            {
                load.AddQueued(-1);
                throw Reject("admission_queue_full", $"All {options.QueueLimit} waiting places of this silo are taken ({attempt.InUse} of {attempt.Limit} permits in use).", attempt);
            }
            try
            {
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
                    var signal = Volatile.Read(ref _released).Task;
                    await signal.WaitAsync(left < options.PollInterval ? left : options.PollInterval, cancellationToken)
                        .ContinueWith(t => { if (t.IsCanceled && cancellationToken.IsCancellationRequested) cancellationToken.ThrowIfCancellationRequested(); }, TaskScheduler.Default);
                    attempt = await TryAcquireAsync(request.ClientId, cancellationToken);
                }
            }
            finally
            {
                load.AddQueued(-1);
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

    /// <summary>Wakes every waiter of this silo to try again (a permit was released here or elsewhere).</summary>
    protected void Pulse() => Interlocked.Exchange(ref _released, NewSignal()).TrySetResult();

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

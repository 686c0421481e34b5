using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Cluster;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>Counts requests in flight and refuses new ones once draining.</summary>
public sealed class SiloActivity : ISiloActivity
{
    private int _inFlight;
    private volatile bool _draining;
    private TaskCompletionSource _idle = NewIdle();

    public bool Draining => _draining;
    public int InFlight => Volatile.Read(ref _inFlight);

    public IDisposable? TryBegin()
    {
        if (_draining) return null;
        Interlocked.Increment(ref _inFlight);
        if (!_draining) return new Scope(this);
        End();
        return null;
    }

    public void BeginDrain() => _draining = true;

    /// <summary>Completes when nothing is in flight any more (or the timeout passes); true when idle.</summary>
    public async Task<bool> WaitIdleAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (InFlight > 0)
        {
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero) return false;
            var idle = Volatile.Read(ref _idle).Task;
            if (InFlight == 0) break;
            await Task.WhenAny(idle, Task.Delay(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200)));
        }
        return true;
    }

    private void End()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0) Interlocked.Exchange(ref _idle, NewIdle()).TrySetResult();
    }

    private static TaskCompletionSource NewIdle() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private sealed class Scope(SiloActivity owner) : IDisposable
    {
        private int _done;
        public void Dispose() { if (Interlocked.Exchange(ref _done, 1) == 0) owner.End(); }
    }
}

/// <summary>
/// SIGTERM drain: runs before the web server and the Orleans silo stop, so new requests still get a 503 with Retry-After (and
/// other processes' sentences go to other silos) while in-flight work finishes (bounded by TTS_DRAIN_SECONDS); then the host
/// stops the silo, which leaves the cluster (Orleans marks it shutting down, then dead, in the membership table).
/// </summary>
public sealed class DrainService(SiloActivity activity, TtsClusterOptions options, ILogger<DrainService> logger)
    : IHostedLifecycleService
{
    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        activity.BeginDrain();
        logger.LogWarning("Silo {Silo} draining: /ready is 503, new synthesis is refused, {InFlight} requests in flight finish (at most {Seconds} s)",
            options.Self.Id, activity.InFlight, options.DrainTimeout.TotalSeconds);
        var idle = await activity.WaitIdleAsync(options.DrainTimeout);
        if (idle) logger.LogInformation("Silo {Silo} drained: no request in flight", options.Self.Id);
        else logger.LogWarning("Silo {Silo} drain timed out with {InFlight} requests still in flight", options.Self.Id, activity.InFlight);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

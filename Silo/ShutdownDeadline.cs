using System.Runtime.InteropServices;
using Microsoft.Extensions.Options;

namespace Orleans.Tts.Silo;

/// <summary>
/// Bounds the whole shutdown: once the host has been stopping for its shutdown timeout plus a margin, the process ends at once
/// (exit 0: the drain before it has already let the work in flight finish). Without it a silo whose Redis is down never exits:
/// Orleans' ungraceful stop keeps retrying the membership table, and the host waits for it however long its timeout (measured:
/// still running 25 s after SIGTERM). Kubernetes would kill it at the grace period anyway; here the operator sees why in the log.
/// </summary>
public sealed partial class ShutdownDeadline(IOptions<HostOptions> host, ILogger<ShutdownDeadline> logger) : IHostedLifecycleService
{
    private static readonly TimeSpan Margin = TimeSpan.FromSeconds(5);
    // Cancelled once the host has stopped: a host that stops in time (and the other hosts of a test process) is left alone.
    // Not disposed: a host may be disposed before its last lifecycle call, and a timer-free source holds nothing.
    private readonly CancellationTokenSource _stopped = new();

    public Task StoppingAsync(CancellationToken cancellationToken)
    {
        var deadline = host.Value.ShutdownTimeout + Margin;
        _ = Task.Run(async () =>
        {
            try { await Task.Delay(deadline, _stopped.Token); }
            catch (OperationCanceledException) { return; }
            logger.LogCritical("Shutdown still not finished {Seconds:0} s after it began (is Redis reachable?); exiting now", deadline.TotalSeconds);
            await Console.Out.FlushAsync();
            ExitNow(0);
        }, CancellationToken.None);
        return Task.CompletedTask;
    }

    // _exit: no managed exit handlers, which would wait for the stuck host to finish stopping.
    [LibraryImport("libc", EntryPoint = "_exit")]
    private static partial void ExitNow(int status);

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken)
    {
        _stopped.Cancel();
        return Task.CompletedTask;
    }
}

using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// Dedicated threads at below-normal OS priority (nice 10, as the background engine hosts) for the silo's own CPU work on
/// job units: compressing their sentences (<see cref="JobAudioCodec"/>). On the thread pool that work ran
/// at normal priority beside interactive requests (Brotli was 44 % of the silo's CPU during a job backlog, bench/RESULTS.md);
/// here the kernel gives it the cores interactive work leaves idle, so an idle silo still runs it at full speed. One thread per
/// job worker (<c>TTS_JOB_MAX_WORKERS</c>), so compression keeps up with as many units as the silo runs at once.
/// </summary>
public sealed partial class BackgroundCpu : IDisposable
{
    public const int NiceValue = 10;

    private readonly BlockingCollection<Action> _work = new();
    private readonly ILogger<BackgroundCpu> _logger;

    public BackgroundCpu(int threads, ILogger<BackgroundCpu> logger)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _logger = logger;
        for (var i = 0; i < threads; i++) new Thread(Run) { IsBackground = true, Name = "Job audio (nice 10)" }.Start();
    }

    /// <summary>Runs <paramref name="work"/> on a low-priority thread; its continuation runs on the thread pool, not there.</summary>
    public Task RunAsync(Action work, CancellationToken cancellationToken = default) => RunAsync(() => { work(); return true; }, cancellationToken);

    /// <summary>Runs <paramref name="work"/> on a low-priority thread; its continuation runs on the thread pool, not there.</summary>
    public Task<T> RunAsync<T>(Func<T> work, CancellationToken cancellationToken = default)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        _work.Add(() =>
        {
            if (cancellationToken.IsCancellationRequested) result.TrySetCanceled(cancellationToken);
            else
            {
                try { result.TrySetResult(work()); }
                catch (Exception e) { result.TrySetException(e); }
            }
        }, CancellationToken.None);
        return result.Task;
    }

    private void Run()
    {
        Lower();
        foreach (var item in _work.GetConsumingEnumerable()) item();
    }

    /// <summary>Linux sets a nice value per thread (setpriority on the thread id); raising it needs no privilege.</summary>
    private void Lower()
    {
        if (!OperatingSystem.IsLinux()) return;
        if (SetPriority(0 /* PRIO_PROCESS */, GetTid(), NiceValue) != 0)
            _logger.LogWarning("The job audio thread keeps normal priority: setpriority failed with errno {Errno}", Marshal.GetLastPInvokeError());
    }

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();

    public void Dispose() => _work.CompleteAdding();
}

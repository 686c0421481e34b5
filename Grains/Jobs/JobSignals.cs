using System.Collections.Concurrent;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>In-process wake-ups by key (a job id, or <see cref="NewWork"/>): waiters return on the next signal or at their timeout.</summary>
public sealed class JobSignals
{
    public const string NewWork = "";

    private readonly ConcurrentDictionary<string, TaskCompletionSource> _waits = new(StringComparer.Ordinal);

    public void Signal(string key)
    {
        if (_waits.TryRemove(key, out var waiting)) waiting.TrySetResult();
    }

    public async Task WaitAsync(string key, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var waiting = _waits.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        try { await waiting.Task.WaitAsync(timeout, cancellationToken); }
        catch (TimeoutException) { }
    }
}

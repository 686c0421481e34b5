using System.Collections.Concurrent;

namespace Orleans.Tts.Synthesis.Engines.Models;

/// <summary>
/// Dedicated threads for model inference, one per worker. An inference holds its thread for tens to hundreds of
/// milliseconds of CPU; run on the thread pool, a few of them at once would starve the pool threads that serve
/// HTTP and the engine-host pipes, and the silo would fall far behind raw inference speed.
/// </summary>
public sealed class InferenceThreads : IDisposable
{
    private readonly BlockingCollection<Action> _work = new();
    private readonly Thread[] _threads;

    public InferenceThreads(ModelOptions options)
    {
        _threads = [.. Enumerable.Range(0, Math.Max(1, options.Parallelism)).Select(i => new Thread(Work)
        {
            IsBackground = true,
            Name = $"onnx-inference-{i}",
        })];
        foreach (var thread in _threads) thread.Start();
    }

    public int Count => _threads.Length;

    /// <summary>Runs <paramref name="inference"/> on an inference thread; the caller's thread is free meanwhile.</summary>
    public Task<T> RunAsync<T>(Func<T> inference, CancellationToken cancellationToken)
    {
        var result = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        try
        {
            _work.Add(() =>
            {
                if (cancellationToken.IsCancellationRequested)
                {
                    result.TrySetCanceled(cancellationToken);
                    return;
                }
                try
                {
                    result.TrySetResult(inference());
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    // The inference saw the cancellation (a terminated ONNX run): the task is cancelled, not faulted.
                    result.TrySetCanceled(cancellationToken);
                }
                catch (Exception e)
                {
                    result.TrySetException(e);
                }
            }, cancellationToken);
        }
        catch (InvalidOperationException e)
        {
            result.TrySetException(new ObjectDisposedException("The inference threads have stopped.", e));
        }
        return result.Task;
    }

    private void Work()
    {
        foreach (var item in _work.GetConsumingEnumerable()) item();
    }

    public void Dispose()
    {
        _work.CompleteAdding();
        foreach (var thread in _threads) thread.Join();
        _work.Dispose();
    }
}

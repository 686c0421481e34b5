namespace Orleans.Tts.Synthesis.Workers;

/// <summary>
/// A pool's workers as a counted resource whose waiters are served first come, first served, with one exception: among the
/// waiters of one stream (the sentences of one request, sent here one call each by a frontend), the earliest sentence goes
/// first. Calls that leave a frontend in sentence order do not reach the pool in that order (measured: three sentences sent
/// together started last one first), and a stream can play nothing until its earliest sentence is done.
/// SemaphoreSlim has no notion of order beyond arrival, hence this small class.
/// </summary>
internal sealed class WorkerSlots(int count)
{
    private readonly Lock _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private int _free = count;

    /// <param name="Stream">The waiter's stream (null: none); <paramref name="Index"/> its sentence in it.</param>
    private sealed record Waiter(string? Stream, int Index)
    {
        public TaskCompletionSource Taken { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>Takes a worker if one is free now.</summary>
    public bool TryTake()
    {
        lock (_gate)
        {
            if (_free == 0) return false;
            _free--;
            return true;
        }
    }

    /// <summary>Waits for a worker; cancelling gives up the place in the queue (never a worker already handed over).</summary>
    public async ValueTask TakeAsync(string? stream, int index, CancellationToken cancellationToken)
    {
        LinkedListNode<Waiter> node;
        lock (_gate)
        {
            if (_free > 0)
            {
                _free--;
                return;
            }
            node = _waiters.AddLast(new Waiter(stream, index));
        }
        await using (cancellationToken.Register(() =>
        {
            lock (_gate)
            {
                if (node.List is null) return; // handed a worker already: the caller has it and will give it back
                _waiters.Remove(node);
            }
            node.Value.Taken.TrySetCanceled(cancellationToken);
        }))
        {
            await node.Value.Taken.Task;
        }
    }

    /// <summary>Gives a worker back: to the first waiter, or to the earliest sentence of the first waiter's stream.</summary>
    public void Release()
    {
        Waiter? next = null;
        lock (_gate)
        {
            var first = _waiters.First;
            if (first is null)
            {
                _free++;
                return;
            }
            var chosen = first;
            if (first.Value.Stream is { } stream)
                for (var n = first.Next; n is not null; n = n.Next)
                    if (n.Value.Stream == stream && n.Value.Index < chosen.Value.Index) chosen = n;
            _waiters.Remove(chosen);
            next = chosen.Value;
        }
        next.Taken.TrySetResult();
    }
}

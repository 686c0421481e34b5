using Orleans.Tts.Synthesis.Workers;
using Orleans.Tts.Testing;

namespace Orleans.Tts.Engine.Tests.Workers;

/// <summary>
/// The pool's worker queue: first come, first served between requests, but a stream's earliest waiting sentence first, since
/// sentences a frontend sends in order reach a silo in any order and a stream plays nothing before its earliest one.
/// </summary>
public sealed class WorkerSlotsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Sentences_of_one_stream_that_arrive_last_first_are_served_in_order()
    {
        var slots = new WorkerSlots(1);
        Assert.True(slots.TryTake());
        var served = new List<int>();
        var waiting = new[] { 2, 1, 0 }.Select(async index =>
        {
            await slots.TakeAsync("stream-a", index, CancellationToken.None);
            lock (served) served.Add(index);
        }).ToList();

        for (var i = 0; i < 3; i++)
        {
            slots.Release();
            await Poll.UntilAsync(() => Task.FromResult(Count(served) == i + 1), Deadline, $"waiter {i + 1} served");
        }
        await Task.WhenAll(waiting).WaitAsync(Deadline);
        Assert.Equal([0, 1, 2], served);
        Assert.False(slots.TryTake()); // the last one still holds the worker
    }

    [Fact]
    public async Task Requests_keep_their_arrival_order_and_a_stream_reorders_only_its_own_sentences()
    {
        var slots = new WorkerSlots(1);
        Assert.True(slots.TryTake());
        var served = new List<string>();
        async Task Wait(string name, string? stream, int index)
        {
            await slots.TakeAsync(stream, index, CancellationToken.None);
            lock (served) served.Add(name);
        }
        var waiting = new List<Task> { Wait("a5", "a", 5) };
        waiting.Add(Wait("plain", null, 0));
        waiting.Add(Wait("b0", "b", 0));
        waiting.Add(Wait("a3", "a", 3));

        for (var i = 0; i < 4; i++)
        {
            slots.Release();
            await Poll.UntilAsync(() => Task.FromResult(Count(served) == i + 1), Deadline, $"waiter {i + 1} served");
        }
        await Task.WhenAll(waiting).WaitAsync(Deadline);
        // Stream a came first, so its earliest sentence (3) goes before its 5; the others follow in arrival order.
        Assert.Equal(["a3", "a5", "plain", "b0"], served);
    }

    [Fact]
    public async Task A_waiter_that_gives_up_never_takes_a_worker_and_the_next_one_gets_it()
    {
        var slots = new WorkerSlots(1);
        Assert.True(slots.TryTake());
        using var leave = new CancellationTokenSource();
        var leaving = slots.TakeAsync("s", 0, leave.Token).AsTask();
        var staying = slots.TakeAsync("s", 1, CancellationToken.None).AsTask();
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => leaving.WaitAsync(Deadline));

        slots.Release();
        await staying.WaitAsync(Deadline);
        slots.Release();
        Assert.True(slots.TryTake()); // exactly one worker, free again: nothing was lost or counted twice
        Assert.False(slots.TryTake());
    }

    private static int Count(List<int> list) { lock (list) return list.Count; }

    private static int Count(List<string> list) { lock (list) return list.Count; }
}

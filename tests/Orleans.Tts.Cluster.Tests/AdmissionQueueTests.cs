using Orleans.Tts.Admission;
using Orleans.Tts.Grains.Admission;
using Orleans.Tts.Grains.Cluster;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>How the admission queue behaves under overload (found by bench/reliability overload: an attempt storm collapsed goodput).</summary>
public sealed class AdmissionQueueTests
{
    private static InMemoryAdmissionGrain Admission(int limit, int queue = 64) =>
        new(new AdmissionOptions { GlobalMaxInflight = limit, ClientMaxShare = 1, QueueLimit = queue, DefaultWait = TimeSpan.FromSeconds(2) }, new ClusterLoad());

    private static AdmissionRequest Req(string client, int waitMs) => new(client, "espeak:en-us", 5, TimeSpan.FromMilliseconds(waitMs), null);

    [Fact]
    public async Task Waiters_are_admitted_in_the_order_they_arrived()
    {
        var grain = Admission(1);
        var holder = await grain.AcquireAsync(Req("holder", 1000));
        var waiters = new List<Task<AdmissionPermit>>();
        for (var i = 0; i < 4; i++)
        {
            waiters.Add(grain.AcquireAsync(Req($"w{i}", 30000)).AsTask());
            var queued = i + 1;
            await Poll.UntilAsync(() => Task.FromResult(grain.Status.QueuedHere == queued), TimeSpan.FromSeconds(5), $"{queued} waiting");
        }

        await holder.DisposeAsync();
        for (var i = 0; i < 4; i++)
        {
            var permit = await waiters[i];
            Assert.All(waiters.Skip(i + 1), w => Assert.False(w.IsCompleted, $"a later waiter was admitted before waiter {i}"));
            Assert.Equal(1, grain.InUse);
            await permit.DisposeAsync();
        }
        Assert.Equal(0, grain.InUse);
    }

    [Fact]
    public async Task A_request_that_cannot_be_served_within_its_wait_is_refused_at_once_with_the_reason()
    {
        var grain = Admission(1);
        await using var holder = await grain.AcquireAsync(Req("holder", 1000));
        var waiters = Enumerable.Range(0, 6).Select(i => grain.AcquireAsync(Req($"w{i}", 30000)).AsTask()).ToList();
        await Poll.UntilAsync(() => Task.FromResult(grain.Status.QueuedHere == 6), TimeSpan.FromSeconds(5), "6 waiting");

        // Six ahead of one permit at the starting estimate (0.5 s per synthesis) is about 3.5 s; this request allows 1 s.
        var refused = await Assert.ThrowsAsync<AdmissionRejectedException>(async () => await grain.AcquireAsync(Req("impatient", 1000)));
        Assert.Contains("6 requests wait ahead", refused.Message);
        Assert.Contains("more than this request's 1 s limit", refused.Message);
        Assert.True(refused.RetryAfter >= TimeSpan.FromSeconds(1));
        Assert.All(waiters, w => Assert.False(w.IsCompleted));
        Assert.Equal(6, grain.Status.QueuedHere);

        await holder.DisposeAsync();
        foreach (var w in waiters) await (await w).DisposeAsync();
        Assert.Equal(0, grain.InUse);
    }

    [Fact]
    public async Task Under_overload_a_request_that_would_be_refused_is_refused_before_it_costs_an_attempt_and_others_may_still_try()
    {
        var grain = Admission(1, queue: 8);
        await using var holder = await grain.AcquireAsync(Req("holder", 1000));
        // Nobody waits: the last look at the permits may be stale, so even a hurried request tries.
        Assert.Null(grain.RefuseEarly(Req("first", 1)));

        var waiters = Enumerable.Range(0, 6).Select(i => grain.AcquireAsync(Req($"w{i}", 30000)).AsTask()).ToList();
        await Poll.UntilAsync(() => Task.FromResult(grain.Status.QueuedHere == 6), TimeSpan.FromSeconds(5), "6 waiting");

        // Six ahead of one permit at about 0.5 s each: a request allowing 1 s is refused now, one allowing 30 s may queue.
        var refused = grain.RefuseEarly(Req("impatient", 1000));
        Assert.NotNull(refused);
        Assert.Contains("6 requests wait ahead", refused.Message);
        Assert.Contains("more than this request's 1 s limit", refused.Message);
        Assert.True(refused.RetryAfter >= TimeSpan.FromSeconds(1));
        Assert.Null(grain.RefuseEarly(Req("patient", 30000)));

        // A full queue refuses even the patient.
        var more = Enumerable.Range(6, 2).Select(i => grain.AcquireAsync(Req($"w{i}", 30000)).AsTask()).ToList();
        await Poll.UntilAsync(() => Task.FromResult(grain.Status.QueuedHere == 8), TimeSpan.FromSeconds(5), "8 waiting");
        var full = grain.RefuseEarly(Req("patient", 30000));
        Assert.NotNull(full);
        Assert.Contains("All 8 waiting places of this silo are taken", full.Message);
        Assert.Equal(8, grain.Status.QueuedHere);

        await holder.DisposeAsync();
        foreach (var w in waiters.Concat(more)) await (await w).DisposeAsync();
        Assert.Equal(0, grain.InUse);
    }
}

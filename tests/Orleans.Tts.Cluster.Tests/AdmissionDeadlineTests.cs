using Orleans.Tts.Admission;
using Orleans.Tts.Grains.Admission;
using Orleans.Tts.Grains.Cluster;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// The admission deadline covers the whole request (TTS_ADMISSION_DEADLINE=finish, the default): found by bench/reliability
/// overload, where admitted requests waited up to their 2 s deadline in the queue and only then synthesised (p99 2.2 s).
/// The clock is moved by hand: nothing here depends on how fast the machine is.
/// </summary>
public sealed class AdmissionDeadlineTests
{
    private static readonly TimeSpan Step = TimeSpan.FromMilliseconds(10);

    // No polling: a waiter wakes only on a release or when its time left only just covers its synthesis. A 100 ms poll fired by the
    // test's moving the clock 1 s ran an attempt beside the holder's release, which had just measured a 1 s hold and so reserved 1 s
    // for the synthesis: the waiter with 1 s left was refused (2 of 15 runs with the CPU busy).
    private static InMemoryAdmissionGrain Admission(ManualTime time, int limit, bool finish = true) =>
        new(new AdmissionOptions
        {
            GlobalMaxInflight = limit, ClientMaxShare = 1, QueueLimit = 64, DefaultWait = TimeSpan.FromSeconds(2),
            InitialServiceTime = TimeSpan.FromMilliseconds(500), DeadlineCoversService = finish, PollInterval = TimeSpan.FromSeconds(10),
        }, new ClusterLoad(), time: time);

    private static AdmissionRequest Req(string client, int chars = 40) => new(client, "espeak:en-us", chars, TimeSpan.Zero, null);

    /// <summary>An acquisition that must end on its own (the clock is not moved while the test awaits it).</summary>
    private static Task<AdmissionPermit> Acquire(InMemoryAdmissionGrain grain, AdmissionRequest request) =>
        grain.AcquireAsync(request).AsTask().WaitAsync(TimeSpan.FromSeconds(20));

    /// <summary>A single permit, taken at time 0 by a holder that keeps it until the test gives it back.</summary>
    private static async Task<(ManualTime Time, InMemoryAdmissionGrain Grain, AdmissionPermit Holder)> HeldAsync(bool finish = true)
    {
        var time = new ManualTime();
        var grain = Admission(time, limit: 1, finish);
        return (time, grain, await grain.AcquireAsync(Req("holder")));
    }

    private static TimeSpan Now(ManualTime time) => TimeSpan.FromTicks(time.GetTimestamp());

    /// <summary>
    /// Moves the clock a step at a time (never beyond <paramref name="notBeyond"/>) until <paramref name="done"/>: a waiter
    /// re-arms its timer after each wake-up, so the clock must not jump past a timer it has not set yet.
    /// </summary>
    private static Task AdvanceUntilAsync(ManualTime time, Func<bool> done, TimeSpan notBeyond, string what) =>
        Poll.UntilAsync(() =>
        {
            if (done()) return Task.FromResult(true);
            if (Now(time) + Step <= notBeyond) time.Advance(Step);
            return Task.FromResult(false);
        }, TimeSpan.FromSeconds(20), what, TimeSpan.FromMilliseconds(5));

    [Fact]
    public async Task Under_concurrency_requests_that_could_not_finish_by_their_deadline_are_refused_at_once_or_before_it_and_never_admitted_late()
    {
        var (time, grain, holder) = await HeldAsync();

        // Twenty arrive together behind a held permit; at 0.5 s a turn and 0.5 s of synthesis, a 2 s deadline covers three of them.
        var arrivals = Enumerable.Range(0, 20).Select(i => grain.AcquireAsync(Req($"c{i}")).AsTask()).ToList();
        await Poll.UntilAsync(() => Task.FromResult(arrivals.Count(a => a.IsCompleted) == 17 && grain.Status.QueuedHere == 3), TimeSpan.FromSeconds(10), "17 refused, 3 queued");
        foreach (var refused in arrivals.Where(a => a.IsCompleted))
        {
            var e = await Assert.ThrowsAsync<AdmissionRejectedException>(() => refused);
            Assert.Contains("of waiting and 0.5 s of synthesis, more than this request's 2 s limit", e.Message);
            Assert.True(e.RetryAfter >= TimeSpan.FromSeconds(1));
        }

        // With 0.5 s left (what a synthesis takes) the three are refused before their deadline, while the permit is still held.
        time.Advance(TimeSpan.FromMilliseconds(1500));
        await AdvanceUntilAsync(time, () => grain.Status.QueuedHere == 0, TimeSpan.FromMilliseconds(1900), "the three waiters refused");
        Assert.True(Now(time) < TimeSpan.FromSeconds(2));
        Assert.Equal(1, grain.InUse);
        var late = 0;
        foreach (var a in arrivals)
        {
            var e = await Assert.ThrowsAsync<AdmissionRejectedException>(() => a.WaitAsync(TimeSpan.FromSeconds(20)));
            Assert.True(e.RetryAfter >= TimeSpan.FromSeconds(1));
            if (e.Message.Contains("so it could not finish in time", StringComparison.Ordinal)) late++;
        }
        Assert.Equal(3, late);

        // The permit comes back before their deadline: nobody is admitted to finish after it.
        await holder.DisposeAsync();
        Assert.Equal(0, grain.InUse);
        Assert.Equal(0, grain.Status.QueuedHere);
    }

    [Fact]
    public async Task A_waiter_with_time_left_for_its_synthesis_is_admitted_when_a_permit_comes_back()
    {
        var (time, grain, holder) = await HeldAsync();
        var waiter = grain.AcquireAsync(Req("waiter")).AsTask();
        await Poll.UntilAsync(() => Task.FromResult(grain.Status.QueuedHere == 1), TimeSpan.FromSeconds(10), "1 waiting");

        time.Advance(TimeSpan.FromSeconds(1));
        await holder.DisposeAsync();
        await using var permit = await waiter.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, grain.InUse);
        Assert.Equal(0, grain.Status.QueuedHere);
    }

    [Fact]
    public async Task A_text_is_expected_to_take_longer_when_its_first_sentence_is_longer_and_is_then_not_queued_where_a_short_one_is()
    {
        var (_, grain, holder) = await HeldAsync();

        // A 1,000-character first sentence is ten units of 0.5 s: it cannot start within 2 s after any wait, so it is refused at once.
        var longFirst = await Assert.ThrowsAsync<AdmissionRejectedException>(() => Acquire(grain, Req("long", chars: 1000) with { FirstSentenceLength = 1000 }));
        Assert.Contains("5 s of synthesis, more than this request's 2 s limit", longFirst.Message);
        Assert.Equal(0, grain.Status.QueuedHere);

        var shortText = grain.AcquireAsync(Req("short", chars: 80)).AsTask();
        await Poll.UntilAsync(() => Task.FromResult(grain.Status.QueuedHere == 1), TimeSpan.FromSeconds(10), "the short text waits");
        Assert.False(shortText.IsCompleted);
        await holder.DisposeAsync();
        await (await shortText.WaitAsync(TimeSpan.FromSeconds(20))).DisposeAsync();
    }

    [Fact]
    public async Task A_long_text_of_short_sentences_waits_like_a_short_one_because_its_audio_starts_after_the_first()
    {
        // Found by the 20-minute soak: 8-sentence texts were refused whenever anything queued, their whole synthesis reserved.
        var (time, grain, holder) = await HeldAsync();
        var text = string.Join(" ", Enumerable.Range(0, 12).Select(i => $"This is sentence number {i} of a long text."));
        var first = AdmissionRequest.FirstSentenceLengthOf(text, 300);
        Assert.Equal("This is sentence number 0 of a long text.".Length, first);

        var longText = grain.AcquireAsync(Req("long", chars: text.Length) with { FirstSentenceLength = first }).AsTask();
        await Poll.UntilAsync(() => Task.FromResult(grain.Status.QueuedHere == 1), TimeSpan.FromSeconds(10), "the long text waits");
        time.Advance(TimeSpan.FromSeconds(1));
        await holder.DisposeAsync();
        await using var permit = await longText.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, grain.InUse);
    }

    [Fact]
    public void One_stalled_hold_does_not_make_every_synthesis_look_slow_but_a_lasting_slowdown_is_followed()
    {
        // Found by the soak: after one long hold a 1-sentence synthesis was expected to take 2.5 s, and requests that could
        // finish in time were refused.
        var estimate = new ServiceTimeEstimate(TimeSpan.FromMilliseconds(500));
        for (var i = 0; i < 100; i++) estimate.Observe(TimeSpan.FromMilliseconds(i % 2 == 0 ? 70 : 90), 60);
        var steady = estimate.Expected(60);

        estimate.Observe(TimeSpan.FromSeconds(10), 60);
        Assert.InRange(estimate.Expected(60).TotalMilliseconds, steady.TotalMilliseconds, 500);
        Assert.InRange(estimate.MeanHold.TotalMilliseconds, 80, 130);

        // Every synthesis now takes a second: within a few dozen holds the estimate covers it again.
        for (var i = 0; i < 40; i++) estimate.Observe(TimeSpan.FromSeconds(1), 60);
        Assert.InRange(estimate.Expected(60).TotalMilliseconds, 1000, 2000);
        Assert.InRange(estimate.MeanHold.TotalMilliseconds, 900, 1100);
    }

    [Fact]
    public async Task A_waiter_gives_up_early_enough_that_a_permit_won_by_a_slow_attempt_still_leaves_its_synthesis_the_time_it_needs()
    {
        // Found by bench/reliability overload: admitted p99 2.03 s against a 2 s deadline, each permit attempt a PostgreSQL round trip.
        var time = new ManualTime();
        var grain = new SlowAttempts(time, TimeSpan.FromMilliseconds(200), new AdmissionOptions
        {
            GlobalMaxInflight = 1, ClientMaxShare = 1, QueueLimit = 64, DefaultWait = TimeSpan.FromSeconds(2),
            InitialServiceTime = TimeSpan.FromMilliseconds(500), PollInterval = TimeSpan.FromSeconds(10),
        });
        await using var holder = await grain.AcquireAsync(Req("holder"));

        // Arrives at 0.2 s (deadline 2.2 s); its first attempt fails. A permit attempt takes 0.2 s and a synthesis 0.5 s, so it
        // gives up at 1.5 s: waiting on to 1.7 s, a permit won then would have left its synthesis 0.3 s.
        var waiter = grain.AcquireAsync(Req("waiter")).AsTask();
        await Poll.UntilAsync(() => Task.FromResult(grain.Status.QueuedHere == 1), TimeSpan.FromSeconds(10), "1 waiting");
        await AdvanceUntilAsync(time, () => waiter.IsCompleted, TimeSpan.FromMilliseconds(1600), "the waiter gives up by 1.6 s");
        var late = await Assert.ThrowsAsync<AdmissionRejectedException>(() => waiter);
        Assert.Contains("less than the 0.7 s a permit attempt and a synthesis may take now, so it could not finish in time", late.Message);
        Assert.Equal(0, grain.Status.QueuedHere);
    }

    /// <summary>One permit, each attempt at it taking <paramref name="perAttempt"/> of the manual clock (a PostgreSQL round trip under load).</summary>
    private sealed class SlowAttempts(ManualTime time, TimeSpan perAttempt, AdmissionOptions options) : AdmissionGrainBase(options, new ClusterLoad(), time: time)
    {
        private int _inUse;
        protected override string Backend => "slow";

        protected override ValueTask<Attempt> TryAcquireAsync(string clientId, CancellationToken ct)
        {
            time.Advance(perAttempt);
            var won = Interlocked.CompareExchange(ref _inUse, 1, 0) == 0;
            return ValueTask.FromResult(new Attempt(won ? new object() : null, 1, 1, won ? 1 : 0));
        }

        protected override ValueTask ReleaseAsync(object handle)
        {
            Volatile.Write(ref _inUse, 0);
            return ValueTask.CompletedTask;
        }
    }

    [Theory]
    [InlineData("Hello there. How are you?", 300, 12)]
    [InlineData("Pi is 3.14 today. Yes.", 300, 17)]
    [InlineData("你好。今天天气很好。", 300, 3)]
    [InlineData("Really?! Yes.", 300, 7)]
    [InlineData("A title\nThe body follows.", 300, 8)]
    [InlineData("no mark at all in this text", 10, 10)]
    [InlineData("no mark at all", 300, 14)]
    [InlineData("Ends with a dot.", 300, 16)]
    public void The_first_sentence_is_found_up_to_its_mark_and_at_most_the_sentence_limit(string text, int max, int expected) =>
        Assert.Equal(expected, AdmissionRequest.FirstSentenceLengthOf(text, max));

    [Fact]
    public async Task With_the_deadline_bounding_only_the_queue_a_waiter_is_admitted_until_its_wait_is_over()
    {
        var (time, grain, holder) = await HeldAsync(finish: false);
        var waiters = Enumerable.Range(0, 4).Select(i => grain.AcquireAsync(Req($"w{i}")).AsTask()).ToList();
        await Poll.UntilAsync(() => Task.FromResult(grain.Status.QueuedHere == 4), TimeSpan.FromSeconds(10), "4 waiting (0.5 s a turn: 4 turns fit in 2 s)");

        time.Advance(TimeSpan.FromMilliseconds(1600));
        Assert.Equal(4, grain.Status.QueuedHere);
        // 0.4 s before its deadline, less than a synthesis takes: still admitted, as before the deadline covered the service.
        await holder.DisposeAsync();
        await using var permit = await waiters[0].WaitAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(1, grain.InUse);
        await AdvanceUntilAsync(time, () => waiters.All(w => w.IsCompleted), TimeSpan.FromSeconds(3), "the other waiters out of time");
        foreach (var w in waiters.Skip(1))
            Assert.Contains("stayed in use for 2 s", (await Assert.ThrowsAsync<AdmissionRejectedException>(() => w.WaitAsync(TimeSpan.FromSeconds(20)))).Message);
    }

    [Fact]
    public void The_service_time_estimate_follows_the_holds_and_stays_above_a_steady_one()
    {
        var estimate = new ServiceTimeEstimate(TimeSpan.FromMilliseconds(500));
        Assert.Equal(TimeSpan.FromMilliseconds(500), estimate.Expected(40));
        Assert.Equal(TimeSpan.FromMilliseconds(2500), estimate.Expected(500));
        estimate.Observe(TimeSpan.FromMilliseconds(80), 60);
        Assert.Equal(TimeSpan.FromMilliseconds(80), estimate.Expected(60));

        for (var i = 0; i < 200; i++) estimate.Observe(TimeSpan.FromMilliseconds(i % 2 == 0 ? 80 : 120), 60);
        Assert.InRange(estimate.MeanHold.TotalMilliseconds, 95, 105);
        // Mean 100 ms, every hold 20 ms off it: (100 + 4 × 20) ms, above every hold seen.
        Assert.InRange(estimate.Expected(60).TotalMilliseconds, 121, 200);
        Assert.Equal(estimate.Expected(60).TotalMilliseconds * 3, estimate.Expected(300).TotalMilliseconds, 0.01);
    }
}

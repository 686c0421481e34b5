using Microsoft.Extensions.Configuration;
using Orleans.Tts.Admission;
using Orleans.Tts.Caching;
using Orleans.Tts.Grains.Admission;
using Orleans.Tts.Grains.Caching;
using Orleans.Tts.Grains.Cluster;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>The in-memory implementations of the embedded default.</summary>
public sealed class InMemoryTests
{
    private static InMemoryAdmissionGrain Admission(int limit, double share = 1, int queue = 8, int waitMs = 2000) =>
        new(new AdmissionOptions { GlobalMaxInflight = limit, ClientMaxShare = share, QueueLimit = queue, DefaultWait = TimeSpan.FromMilliseconds(waitMs), LongTextChars = 10, DegradeQueueThreshold = 1 }, new ClusterLoad());

    private static AdmissionRequest Req(string client, int wait = 0, int length = 5, string? fallback = null) =>
        new(client, "espeak:en-us", length, TimeSpan.FromMilliseconds(wait), fallback);

    [Fact]
    public async Task Admission_never_exceeds_the_limit_under_contention()
    {
        var grain = Admission(3, queue: 64);
        var running = 0;
        var max = 0;
        await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            await using var permit = await grain.AcquireAsync(Req($"c{i}", wait: 30000));
            var now = Interlocked.Increment(ref running);
            InterlockedMax(ref max, now);
            await Task.Yield();
            await Task.Delay(1);
            Interlocked.Decrement(ref running);
        }));
        Assert.InRange(max, 1, 3);
        Assert.Equal(0, grain.InUse);
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen) { }
    }

    [Fact]
    public async Task One_client_cannot_take_more_than_its_share()
    {
        var grain = Admission(4, share: 0.5);
        await using var a = await grain.AcquireAsync(Req("greedy"));
        await using var b = await grain.AcquireAsync(Req("greedy"));
        var refused = await Assert.ThrowsAsync<AdmissionRejectedException>(async () => await grain.AcquireAsync(Req("greedy", wait: 50)));
        Assert.Contains("client", refused.Message);
        await using var other = await grain.AcquireAsync(Req("polite"));
        Assert.Equal(3, grain.InUse);
    }

    [Fact]
    public async Task A_full_queue_refuses_at_once_and_a_waiter_gets_the_released_permit()
    {
        var grain = Admission(1, queue: 1);
        var first = await grain.AcquireAsync(Req("a"));
        var waiter = grain.AcquireAsync(Req("b", wait: 30000)).AsTask();
        await Poll.UntilAsync(() => Task.FromResult(grain.Status.QueuedHere == 1), TimeSpan.FromSeconds(5), "one waiter");
        var full = await Assert.ThrowsAsync<AdmissionRejectedException>(async () => await grain.AcquireAsync(Req("c", wait: 30000)));
        Assert.True(full.RetryAfter >= TimeSpan.FromSeconds(1));
        await first.DisposeAsync();
        await using var second = await waiter;
        Assert.Equal(1, grain.InUse);
    }

    [Fact]
    public async Task Retry_after_grows_with_the_queue_and_the_observed_hold_time()
    {
        var grain = Admission(2);
        Assert.True(grain.RetryAfter(40, 2) > grain.RetryAfter(0, 2));
        Assert.True(grain.RetryAfter(0, 2) >= TimeSpan.FromSeconds(1));
        await using var _ = await grain.AcquireAsync(Req("x"));
    }

    [Fact]
    public async Task Long_text_falls_back_only_when_saturated()
    {
        var grain = Admission(1, queue: 4);
        await using (var calm = await grain.AcquireAsync(Req("a", length: 50, fallback: "espeak:en")))
            Assert.Null(calm.Degradation);
        var holder = await grain.AcquireAsync(Req("a"));
        var queued = grain.AcquireAsync(Req("b", wait: 30000)).AsTask();
        await Poll.UntilAsync(() => Task.FromResult(grain.Status.QueuedHere == 1), TimeSpan.FromSeconds(5), "queued");
        var longOne = Take(grain.AcquireAsync(Req("c", wait: 30000, length: 50, fallback: "espeak:en")).AsTask());
        var shortOne = Take(grain.AcquireAsync(Req("d", wait: 30000, length: 5, fallback: "espeak:en")).AsTask());
        var first = Take(queued);
        await holder.DisposeAsync();
        await first;
        Assert.Equal(("espeak:en", "fallback-voice"), await longOne);
        Assert.Equal(("espeak:en-us", (string?)null), await shortOne);
    }

    private static async Task<(string, string?)> Take(Task<AdmissionPermit> acquiring)
    {
        var permit = await acquiring;
        await permit.DisposeAsync();
        return (permit.VoiceId, permit.Degradation);
    }

    [Fact]
    public async Task The_local_cache_never_holds_more_bytes_than_its_limit_and_keeps_the_recently_used()
    {
        const long limit = 20_000;
        using var cache = new ResultCache(new CacheOptions { MemoryBytes = limit });
        static CachedAudio Audio(int i) => new($"k{i}", new byte[1500], "audio/wav", "v", 1);
        for (var i = 0; i < 200; i++)
        {
            await cache.StoreAsync(Audio(i));
            // The one kept hot is asked for between every two new ones, so it is always among the most recently used.
            await cache.TryGetAsync("k0");
            Assert.True(cache.LocalBytes <= limit, $"{cache.LocalBytes} bytes held after {i + 1} results; the limit is {limit}");
        }
        // Compaction runs in the background: once it has, recent results are held again and the old ones are gone.
        await Poll.UntilAsync(async () =>
        {
            await cache.StoreAsync(Audio(199));
            return await cache.TryGetAsync("k199") is not null;
        }, TimeSpan.FromSeconds(10), "a recent result is kept");
        Assert.NotNull(await cache.TryGetAsync("k0"));
        Assert.Null(await cache.TryGetAsync("k1"));
        Assert.True(cache.LocalBytes <= limit);
    }

    private static IConfiguration Config(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.ToDictionary(s => s.Key, s => (string?)s.Value)).Build();

    [Fact]
    public void The_cache_redis_is_TTS_REDIS_CACHE_else_TTS_REDIS_with_short_timeouts_the_operator_may_override_and_a_bad_string_stops_the_start()
    {
        Assert.Null(ResultCacheServiceExtensions.RedisOptions(Config()));
        var shared = ResultCacheServiceExtensions.RedisOptions(Config(("TTS_REDIS", "10.0.0.1:6379")))!;
        Assert.EndsWith("10.0.0.1:6379", shared.EndPoints.Single().ToString());
        Assert.Equal(1000, shared.AsyncTimeout);
        Assert.False(shared.AbortOnConnectFail);
        var own = ResultCacheServiceExtensions.RedisOptions(Config(("TTS_REDIS", "10.0.0.1:6379"), ("TTS_REDIS_CACHE", "cache:6380,asyncTimeout=250")))!;
        Assert.EndsWith("cache:6380", own.EndPoints.Single().ToString());
        Assert.Equal(250, own.AsyncTimeout);

        var bad = Assert.Throws<InvalidOperationException>(() => ResultCacheServiceExtensions.RedisOptions(Config(("TTS_REDIS_CACHE", "cache:6380,notAnOption=1"))));
        Assert.Contains("TTS_REDIS_CACHE", bad.Message);
        Assert.Contains("TTS_REDIS_CACHE", Assert.Throws<InvalidOperationException>(() => ResultCacheServiceExtensions.RedisOptions(Config(("TTS_REDIS_CACHE", "ssl=true")))).Message);
    }

    [Fact]
    public void A_result_is_one_redis_value_read_back_whole_and_a_foreign_value_is_a_miss()
    {
        var audio = new CachedAudio("k", [1, 2, 3, 4], "audio/mpeg", "piper:en_US-lessac-medium", 1.25);
        var read = RedisResultStore.Decode("k", RedisResultStore.Encode(audio))!;
        Assert.Equal(audio with { Content = read.Content }, read);
        Assert.Equal(audio.Content, read.Content);
        Assert.Null(RedisResultStore.Decode("k", [9, 1, 2]));
        Assert.Null(RedisResultStore.Decode("k", RedisResultStore.Encode(audio)[..12]));
    }

    [Fact]
    public async Task Identical_requests_in_flight_share_one_production()
    {
        var cache = new ResultCache(new CacheOptions { MemoryBytes = 1 << 20 });
        var produced = 0;
        var gate = new TaskCompletionSource();
        async ValueTask<ProducedAudio> Factory(CancellationToken _)
        {
            Interlocked.Increment(ref produced);
            await gate.Task;
            return new ProducedAudio(new CachedAudio("k", [1, 2, 3], "audio/wav", "v", 1), true, null);
        }
        var calls = Enumerable.Range(0, 20).Select(_ => cache.GetOrCreateAsync("k", Factory).AsTask()).ToList();
        gate.SetResult();
        var outcomes = await Task.WhenAll(calls);
        Assert.Equal(1, produced);
        Assert.Equal(1, outcomes.Count(o => !o.Hit));
        Assert.True((await cache.GetOrCreateAsync("k", Factory)).Hit);
        Assert.NotNull(await cache.TryGetAsync("k"));
    }

    [Fact]
    public async Task A_shared_synthesis_goes_on_while_one_caller_waits_and_is_cancelled_when_every_caller_has_left()
    {
        var cache = new ResultCache(new CacheOptions { MemoryBytes = 1 << 20 });
        var gate = new TaskCompletionSource();
        var cancelled = new TaskCompletionSource();
        async ValueTask<ProducedAudio> Factory(CancellationToken ct)
        {
            try { await gate.Task.WaitAsync(ct); }
            catch (OperationCanceledException) { cancelled.TrySetResult(); throw; }
            return new ProducedAudio(new CachedAudio("k", [1, 2, 3], "audio/wav", "v", 1), true, null);
        }
        using var first = new CancellationTokenSource();
        using var second = new CancellationTokenSource();
        var a = cache.GetOrCreateAsync("k", Factory, first.Token).AsTask();
        var b = cache.GetOrCreateAsync("k", Factory, second.Token).AsTask();

        await first.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => a);
        Assert.False(cancelled.Task.IsCompleted, "the synthesis goes on for the caller still waiting");

        await second.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => b);
        await cancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // The next caller starts afresh and gets the audio.
        gate.SetResult();
        var outcome = await cache.GetOrCreateAsync("k", Factory);
        Assert.False(outcome.Hit);
        Assert.Equal([1, 2, 3], outcome.Audio.Content);
    }

    [Fact]
    public void Cache_keys_ignore_whitespace_differences_but_not_voice_speed_format_or_model()
    {
        var k = ResultCacheKey.Compute("Hello   world ", "espeak:en-us", 1, 0, "wav", "m1");
        Assert.Equal(k, ResultCacheKey.Compute(" Hello world", "espeak:en-us", 1, 0, "wav", "m1"));
        Assert.NotEqual(k, ResultCacheKey.Compute("Hello world", "espeak:en-gb", 1, 0, "wav", "m1"));
        Assert.NotEqual(k, ResultCacheKey.Compute("Hello world", "espeak:en-us", 1.1, 0, "wav", "m1"));
        Assert.NotEqual(k, ResultCacheKey.Compute("Hello world", "espeak:en-us", 1, 0, "pcm", "m1"));
        Assert.NotEqual(k, ResultCacheKey.Compute("Hello world", "espeak:en-us", 1, 0, "wav", "m2"));
    }
}

using System.Net.Http.Json;
using System.Net;
using System.Text.Json;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>Several silo processes on loopback forming one Orleans cluster through Redis (membership, grain state, result cache, jobs), one cluster per test.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(TestClusters clusters) : IAsyncLifetime
{
    private readonly List<SiloProcess> _silos = [];
    private string _clusterId = "";

    public async Task InitializeAsync() => _clusterId = await clusters.NewAsync();

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
    }

    private async Task<SiloProcess[]> StartAsync(int count, Dictionary<string, string>? extra = null, string prefix = "silo")
    {
        var silos = await SiloProcess.StartManyAsync(count, i => ClusterSilo.Options($"{prefix}{i}", _clusterId, extra));
        _silos.AddRange(silos);
        return silos;
    }

    [Fact]
    public async Task A_burst_never_holds_more_than_the_global_limit_and_every_request_gets_audio_or_503_with_retry_after()
    {
        const int limit = 2;
        var silos = await StartAsync(3, new() { ["TTS_GLOBAL_MAX_INFLIGHT"] = $"{limit}", ["TTS_ADMISSION_WAIT_MS"] = "1500" });
        await Poll.UntilAsync(async () => ActiveMembers(await silos[0].HttpClient.ClusterAsync()) == 3, TimeSpan.FromSeconds(20), "3 silos in the cluster");

        var maxGrain = 0;
        var maxSilo = 0;
        var peaks = new System.Collections.Concurrent.ConcurrentQueue<string>();
        using var stop = new CancellationTokenSource();
        // The admission grain's own count, as /cluster reports it.
        var watchGrain = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested) maxGrain = Math.Max(maxGrain, PermitsInUse(await silos[1].HttpClient.ClusterAsync()));
        });
        var watchSilos = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
                foreach (var silo in silos)
                {
                    var c = await silo.HttpClient.ClusterAsync();
                    var held = c.GetProperty("admission").GetProperty("heldHere").GetInt32();
                    if (held > limit) peaks.Enqueue($"{silo.Id} heldHere={held}: {c.GetProperty("admission")}");
                    maxSilo = Math.Max(maxSilo, held);
                    foreach (var m in c.GetProperty("cluster").GetProperty("members").EnumerateArray())
                    {
                        var load = m.GetProperty("load").GetInt32();
                        if (load > limit) peaks.Enqueue($"{silo.Id} sees member {m}");
                        maxSilo = Math.Max(maxSilo, load);
                    }
                }
        });

        var responses = await Task.WhenAll(Enumerable.Range(0, 10 * limit).Select(i =>
            silos[i % 3].HttpClient.SpeakAsync(new { input = Http.Sentences($"Burst {i}", 6), voice = "alloy", response_format = "wav" }, apiKey: $"client-{i}")));
        await stop.CancelAsync();
        await Task.WhenAll(watchGrain, watchSilos);

        Assert.InRange(maxGrain, 1, limit);
        Assert.True(maxSilo is >= 1 and <= limit, $"silos reported {maxSilo} permits or syntheses at once (limit {limit}): {string.Join(" | ", peaks.Take(5))}"
            + $" degraded: {string.Join(",", responses.Select(r => r.Header("X-Tts-Degraded")).OfType<string>().Distinct())}{Environment.NewLine}"
            + string.Join(Environment.NewLine, silos.Select(s => s.FormatOutput())));
        Assert.Contains(responses, r => r.StatusCode == HttpStatusCode.OK);
        foreach (var r in responses)
        {
            Assert.True(r.StatusCode is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"unexpected {(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
            if (r.StatusCode == HttpStatusCode.ServiceUnavailable) Assert.True(r.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "503 without Retry-After");
            else Assert.Equal("audio/wav", r.Content.Headers.ContentType?.MediaType);
        }
        await Poll.UntilAsync(async () => PermitsInUse(await silos[2].HttpClient.ClusterAsync()) == 0, TimeSpan.FromSeconds(10), "every permit is back");
    }

    private static int ActiveMembers(JsonElement cluster) =>
        cluster.GetProperty("cluster").GetProperty("members").EnumerateArray().Count(m => m.GetProperty("status").GetString() == "active");

    private static int PermitsInUse(JsonElement cluster) => cluster.GetProperty("cluster").GetProperty("permitsInUse").GetInt32();

    [Fact]
    public async Task Permits_of_a_killed_silo_return_once_orleans_declares_it_dead()
    {
        var silos = await StartAsync(2, new() { ["TTS_GLOBAL_MAX_INFLIGHT"] = "6", ["TTS_ADMISSION_WAIT_MS"] = "20000" }, prefix: "victim");
        var (victim, survivor) = (silos[0], silos[1]);
        await Poll.UntilAsync(async () => ActiveMembers(await survivor.HttpClient.ClusterAsync()) == 2, TimeSpan.FromSeconds(20), "2 silos in the cluster");
        var pending = Enumerable.Range(0, 3).Select(i => victim.HttpClient.SpeakAsync(new { input = Http.Sentences($"Held {i}", 60), voice = "alloy" }, apiKey: $"k{i}")
            .ContinueWith(t => t.Exception is null ? t.Result : null, TaskScheduler.Default)).ToList();
        await Poll.UntilAsync(async () => PermitsInUse(await survivor.HttpClient.ClusterAsync()) >= 2, TimeSpan.FromSeconds(20), "the victim holds permits");

        var killed = System.Diagnostics.Stopwatch.StartNew();
        victim.Kill();
        // Probes every second, dead after two missed (ClusterSilo): declared dead in a few seconds, its permits back at once.
        await Poll.UntilAsync(async () => PermitsInUse(await survivor.HttpClient.ClusterAsync()) == 0, TimeSpan.FromSeconds(30), "the killed silo's permits released");
        Console.WriteLine($"Permits of the killed silo back after {killed.Elapsed.TotalSeconds:0.0} s");
        // Polled: on a starved CPU one read of the membership view can miss its 3 s bound and list no member at all.
        var last = "";
        await Poll.UntilAsync(async () =>
        {
            var view = await survivor.HttpClient.ClusterAsync();
            last = view.ToString();
            var members = view.GetProperty("cluster").GetProperty("members").EnumerateArray();
            return members.Any(m => m.GetProperty("id").GetString() == victim.Id && m.GetProperty("status").GetString() == "dead");
        }, TimeSpan.FromSeconds(60), "the killed silo listed as dead")
            .ContinueWith(t => { if (t.IsFaulted) Console.WriteLine($"The survivor's last /cluster view (victim {victim.Id}): {last}"); return t; }, TaskScheduler.Default).Unwrap();
        await Task.WhenAll(pending);
    }

    [Fact]
    public async Task A_result_cached_via_one_silo_is_a_hit_on_another_and_20_identical_concurrent_requests_cause_one_synthesis()
    {
        var silos = await StartAsync(3, new() { ["TTS_GLOBAL_MAX_INFLIGHT"] = "20", ["TTS_CLIENT_MAX_SHARE"] = "1" });
        var body = new { input = "Cached once, served everywhere.", voice = "alloy" };
        var first = await silos[0].HttpClient.SpeakAsync(body);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("miss", first.Header("X-Tts-Cache"));
        var second = await silos[1].HttpClient.SpeakAsync(body);
        Assert.Equal("hit", second.Header("X-Tts-Cache"));
        Assert.Equal(await first.Content.ReadAsByteArrayAsync(), await second.Content.ReadAsByteArrayAsync());
        var etag = first.Headers.ETag?.Tag;
        Assert.NotNull(etag);
        var notModified = await silos[2].HttpClient.SpeakAsync(body, ifNoneMatch: etag);
        Assert.Equal(HttpStatusCode.NotModified, notModified.StatusCode);

        // One synthesis cluster-wide, counted where the sentences are synthesised (whichever silos the leader spread them over).
        const int sentences = 8;
        var before = await ClusterSilo.SettledSentencesAsync(silos);
        var same = new { input = Http.Sentences("Twenty at once", sentences), voice = "alloy" };
        var burst = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => silos[i % 3].HttpClient.SpeakAsync(same)));
        Assert.All(burst, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, burst.Count(r => r.Header("X-Tts-Cache") == "miss"));
        Assert.Equal(19, burst.Count(r => r.Header("X-Tts-Cache") == "hit"));
        Assert.Equal(sentences, await ClusterSilo.SettledSentencesAsync(silos) - before);
    }

    [Fact]
    public async Task A_waiter_takes_the_lead_when_the_leaders_silo_is_killed_mid_synthesis()
    {
        var silos = await StartAsync(2, new() { ["TTS_GLOBAL_MAX_INFLIGHT"] = "4", ["TTS_CLIENT_MAX_SHARE"] = "1" }, prefix: "leader");
        var (leader, waiter) = (silos[0], silos[1]);
        await Poll.UntilAsync(async () => ActiveMembers(await waiter.HttpClient.ClusterAsync()) == 2, TimeSpan.FromSeconds(20), "2 silos in the cluster");
        // As long as the input allows (4096 characters), so that the leader is still at it when it is killed.
        var body = new { input = Http.Sentences("Doomed", 60), voice = "alloy", response_format = "wav", max_wait_ms = 30000 };
        var led = leader.HttpClient.SpeakAsync(body).ContinueWith(t => t.Exception is null ? t.Result : null, TaskScheduler.Default);
        await Poll.UntilAsync(async () => (await leader.HttpClient.ReadyAsync()).SentencesSynthesized() > 0 || (await waiter.HttpClient.ReadyAsync()).SentencesSynthesized() > 0,
            TimeSpan.FromSeconds(20), "the leader synthesises");
        var waiting = waiter.HttpClient.SpeakAsync(body);
        await Poll.UntilAsync(async () => (await waiter.HttpClient.ClusterAsync()).GetProperty("inFlight").GetInt32() > 0, TimeSpan.FromSeconds(10), "the second request waits");
        Assert.False(led.IsCompleted, "the leader finished before it could be killed; make its text longer");

        leader.Kill();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        using var response = await waiting.WaitAsync(TimeSpan.FromSeconds(90));
        Console.WriteLine($"The waiter answered {clock.Elapsed.TotalSeconds:0.0} s after the leader's silo was killed");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("miss", response.Header("X-Tts-Cache"));
        // About 3 s per sentence: all 60 are there.
        Assert.InRange(SpeechStreams.WavSamples(await response.Content.ReadAsByteArrayAsync()), 60 * 2 * 22050, int.MaxValue);
    }


    private RedisCacheProbe Probe(string redis) => new(redis, _clusterId);

    private static async Task<double> LocalCacheBytesAsync(SiloProcess silo)
    {
        var text = await silo.HttpClient.GetStringAsync("/metrics");
        return double.Parse(System.Text.RegularExpressions.Regex.Match(text, @"^tts_cache_memory_bytes(?:\{\})? (\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value,
            System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task A_new_result_goes_to_redis_only_and_enters_the_local_cache_when_it_is_asked_for_again()
    {
        var silo = (await StartAsync(1))[0];
        await using var redis = Probe(RedisServer.ConnectionString);

        // Ten one-off texts: synthesised, stored in Redis, and none kept in the silo's memory.
        for (var i = 0; i < 10; i++)
        {
            var once = await silo.HttpClient.SpeakAsync(new { input = $"Said only once, number {i}.", voice = "alloy", response_format = "wav" });
            Assert.Equal(HttpStatusCode.OK, once.StatusCode);
            Assert.Equal("miss", once.Header("X-Tts-Cache"));
        }
        // Shared after each response (the requester does not wait for the write).
        await Poll.UntilAsync(() => Task.FromResult(redis.Keys().Length == 10), TimeSpan.FromSeconds(20), "10 results in Redis");
        Assert.Equal(0, await LocalCacheBytesAsync(silo));

        // Asked again: a hit from Redis, now kept locally; the third time is served from memory.
        var again = await silo.HttpClient.SpeakAsync(new { input = "Said only once, number 3.", voice = "alloy", response_format = "wav" });
        Assert.Equal("hit", again.Header("X-Tts-Cache"));
        var kept = await LocalCacheBytesAsync(silo);
        Assert.InRange(kept, (await again.Content.ReadAsByteArrayAsync()).Length, 1 << 20);
        await redis.Database.KeyDeleteAsync(redis.Keys());
        var third = await silo.HttpClient.SpeakAsync(new { input = "Said only once, number 3.", voice = "alloy", response_format = "wav" });
        Assert.Equal("hit", third.Header("X-Tts-Cache"));
        Assert.Equal(kept, await LocalCacheBytesAsync(silo));
    }

    [Fact]
    public async Task Results_expire_in_redis_after_the_ttl_and_are_then_synthesised_again()
    {
        var silos = await StartAsync(2, new() { ["TTS_CACHE_TTL_SECONDS"] = "3", ["TTS_CACHE_MEMORY_MB"] = "0" }, prefix: "ttl");
        await using var redis = Probe(RedisServer.ConnectionString);
        var body = new { input = "Kept for three seconds.", voice = "alloy", response_format = "wav" };
        var first = await silos[0].HttpClient.SpeakAsync(body);
        Assert.Equal("miss", first.Header("X-Tts-Cache"));
        var key = redis.Key(first.Headers.ETag!.Tag.Trim('"'));
        await Poll.UntilAsync(async () => await redis.Database.KeyExistsAsync(key), TimeSpan.FromSeconds(10), "the result in Redis");
        var ttl = await redis.Database.KeyTimeToLiveAsync(key);
        Assert.NotNull(ttl);
        Assert.InRange(ttl.Value, TimeSpan.FromMilliseconds(1), TimeSpan.FromSeconds(3));
        Assert.Equal("hit", (await silos[1].HttpClient.SpeakAsync(body)).Header("X-Tts-Cache"));

        await Poll.UntilAsync(async () => !await redis.Database.KeyExistsAsync(key), TimeSpan.FromSeconds(10), "Redis expires the result");
        Assert.Equal("miss", (await silos[1].HttpClient.SpeakAsync(body)).Header("X-Tts-Cache"));
    }

    [Fact]
    public async Task A_cache_redis_with_a_small_maxmemory_evicts_old_results_itself_while_serving_goes_on()
    {
        using var cache = new PrivateRedis("--maxmemory", "3mb", "--maxmemory-policy", "allkeys-lru", "--appendonly", "no");
        var cacheRedis = cache.ConnectionString;
        var silo = (await StartAsync(1, new() { ["TTS_REDIS_CACHE"] = cacheRedis }, prefix: "lru"))[0];
        await using var redis = Probe(cacheRedis);
        long produced = 0;
        const int count = 40;
        for (var i = 0; i < count; i++)
        {
            var once = await silo.HttpClient.SpeakAsync(new { input = Http.Sentences($"Filler {i}", 2), voice = "alloy", response_format = "wav" });
            Assert.Equal(HttpStatusCode.OK, once.StatusCode);
            produced += (await once.Content.ReadAsByteArrayAsync()).Length;
        }
        Assert.True(produced > 6 << 20, $"{produced} bytes produced, more than twice the 3 MB maxmemory");
        await Poll.UntilAsync(async () => await redis.InfoAsync("evicted_keys") > 0, TimeSpan.FromSeconds(20), "Redis evicts results");
        Assert.InRange(redis.Keys().Length, 1, count - 1);
        Assert.True(await redis.InfoAsync("used_memory") <= 3 << 20, "Redis holds at most its maxmemory");
        // The newest is still there; the oldest was evicted by Redis and is synthesised again.
        Assert.Equal("hit", (await silo.HttpClient.SpeakAsync(new { input = Http.Sentences($"Filler {count - 1}", 2), voice = "alloy", response_format = "wav" })).Header("X-Tts-Cache"));
        Assert.Equal("miss", (await silo.HttpClient.SpeakAsync(new { input = Http.Sentences("Filler 0", 2), voice = "alloy", response_format = "wav" })).Header("X-Tts-Cache"));
        Assert.False(await CacheDegradedAsync(silo));
    }

    [Fact]
    public async Task When_the_cache_redis_stops_silos_keep_serving_report_it_degraded_and_recover_by_themselves()
    {
        using var cache = new PrivateRedis();
        var cacheRedis = cache.ConnectionString;
        var silos = await StartAsync(2, new() { ["TTS_GLOBAL_MAX_INFLIGHT"] = "4", ["TTS_CLIENT_MAX_SHARE"] = "1", ["TTS_REDIS_CACHE"] = cacheRedis }, prefix: "cachefault");
        Assert.Equal(HttpStatusCode.OK, (await silos[0].HttpClient.SpeakAsync(new { input = "Before the outage.", voice = "alloy" })).StatusCode);

        cache.Stop();
        foreach (var silo in silos)
            await Poll.UntilAsync(async () => await CacheDegradedAsync(silo),
                TimeSpan.FromSeconds(10), $"{silo.Id} reports the cache degraded");
        var cacheMs = await CacheStepsOfNewRequestsAsync(silos, "During the outage", 6);
        // A result made during the outage is kept locally: asked again on the same silo it is a hit.
        Assert.Equal("hit", (await silos[0].HttpClient.SpeakAsync(new { input = "During the outage 0.", voice = "alloy" })).Header("X-Tts-Cache"));
        // A dead Redis is known to be down: the requests do not wait for its timeouts.
        Console.WriteLine($"Server-Timing cache during the outage: {string.Join(", ", cacheMs.Select(m => m.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)))} ms");
        Assert.All(cacheMs, ms => Assert.True(ms < 200, $"the cache step took {ms} ms with Redis down"));
        foreach (var silo in silos) Assert.Equal(HttpStatusCode.OK, (await silo.HttpClient.GetAsync("/ready")).StatusCode);

        cache.Start();
        foreach (var silo in silos)
            await Poll.UntilAsync(async () => !await CacheDegradedAsync(silo),
                TimeSpan.FromSeconds(30), $"{silo.Id} reconnects to the cache");
        var after = await silos[0].HttpClient.SpeakAsync(new { input = "After the outage.", voice = "alloy" });
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("miss", after.Header("X-Tts-Cache"));
        // Shared again: the other silo's request for it becomes a hit once the write after the response is done.
        await Poll.UntilAsync(async () => (await silos[1].HttpClient.SpeakAsync(new { input = "After the outage.", voice = "alloy" })).Header("X-Tts-Cache") == "hit",
            TimeSpan.FromSeconds(10), "the result made after the outage is shared");
    }

    [Fact]
    public async Task A_hung_cache_redis_costs_one_request_its_timeout_and_the_next_ones_nothing()
    {
        using var cache = new PrivateRedis();
        var cacheRedis = cache.ConnectionString;
        var silo = (await StartAsync(1, new() { ["TTS_REDIS_CACHE"] = cacheRedis }, prefix: "hung"))[0];
        Assert.Equal("miss", (await silo.HttpClient.SpeakAsync(new { input = "Before the hang.", voice = "alloy" })).Header("X-Tts-Cache"));

        // Stopped, not killed: the connection stays up and commands time out (1 s by default) instead of failing at once.
        cache.Signal("STOP");
        var cacheMs = await CacheStepsOfNewRequestsAsync([silo], "While Redis hangs", 4);
        Console.WriteLine($"Server-Timing cache with Redis hung: {string.Join(", ", cacheMs.Select(m => m.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)))} ms");
        Assert.InRange(cacheMs[0], 0, 3000);
        // Left alone for 5 s after a timeout: the requests right after do not wait for it.
        Assert.All(cacheMs.Skip(1), ms => Assert.True(ms < 500, $"{ms} ms in the cache step after the first timeout: {string.Join(", ", cacheMs)}"));
        Assert.True(await CacheDegradedAsync(silo), "a hung cache is reported degraded");

        cache.Signal("CONT");
        await Poll.UntilAsync(async () => !await CacheDegradedAsync(silo),
            TimeSpan.FromSeconds(20), "the cache is used again");
        Assert.Equal("hit", (await silo.HttpClient.SpeakAsync(new { input = "Before the hang.", voice = "alloy" })).Header("X-Tts-Cache"));
    }

    private static async Task<bool> CacheDegradedAsync(SiloProcess silo) =>
        (await silo.HttpClient.ReadyAsync()).GetProperty("details").TryGetProperty("cache.degraded", out _);

    /// <summary>Sends <paramref name="count"/> new texts round the silos, each answered with audio; their Server-Timing <c>cache</c> steps.</summary>
    private static async Task<List<double>> CacheStepsOfNewRequestsAsync(IReadOnlyList<SiloProcess> silos, string tag, int count)
    {
        var cacheMs = new List<double>();
        for (var i = 0; i < count; i++)
        {
            var r = await silos[i % silos.Count].HttpClient.SpeakAsync(new { input = $"{tag} {i}.", voice = "alloy" });
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            cacheMs.Add(ServerTiming(r, "cache"));
        }
        return cacheMs;
    }

    /// <summary>One metric of the response's <c>Server-Timing</c> header, in milliseconds (0 when absent).</summary>
    private static double ServerTiming(HttpResponseMessage response, string name)
    {
        var header = response.Headers.TryGetValues("Server-Timing", out var values) ? string.Join(",", values) : "";
        var match = System.Text.RegularExpressions.Regex.Match(header, $@"(?:^|,)\s*{name};dur=([0-9.]+)");
        return match.Success ? double.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
    }

    [Fact]
    public async Task Long_text_under_saturation_is_served_with_the_fallback_voice_and_says_so()
    {
        var silos = await StartAsync(1, new()
        {
            ["TTS_GLOBAL_MAX_INFLIGHT"] = "1", ["TTS_DEGRADE_QUEUE"] = "1", ["TTS_LONG_TEXT_CHARS"] = "200",
            ["TTS_FALLBACK_VOICES"] = "espeak:en-gb=espeak:en-us",
        }, prefix: "saturated");
        var silo = silos[0];
        var blockers = Enumerable.Range(0, 6).Select(i =>
            silo.HttpClient.SpeakAsync(new { input = Http.Sentences($"Blocker {i}", 25), voice = "alloy", max_wait_ms = 30000 }, apiKey: $"b{i}")).ToList();
        await Poll.UntilAsync(async () => (await silo.HttpClient.ClusterAsync()).GetProperty("admission").GetProperty("queuedHere").GetInt32() >= 2,
            TimeSpan.FromSeconds(20), "requests queued");

        var longText = Http.Sentences("Long request", 6);
        Assert.True(longText.Length > 200);
        var degraded = silo.HttpClient.SpeakAsync(new { input = longText, voice = "espeak:en-gb", max_wait_ms = 30000 }, apiKey: "long");
        var shortOne = silo.HttpClient.SpeakAsync(new { input = "Short stays.", voice = "espeak:en-gb", max_wait_ms = 30000 }, apiKey: "short");
        var (l, s) = (await degraded, await shortOne);
        Assert.Equal(HttpStatusCode.OK, l.StatusCode);
        Assert.Equal("fallback-voice", l.Header("X-Tts-Degraded"));
        Assert.Equal("espeak:en-us", l.Header("X-Tts-Voice"));
        Assert.Equal(HttpStatusCode.OK, s.StatusCode);
        Assert.Null(s.Header("X-Tts-Degraded"));
        Assert.Equal("espeak:en-gb", s.Header("X-Tts-Voice"));
        await Task.WhenAll(blockers);
    }

    [Fact]
    public async Task Sigterm_drains_in_flight_work_refuses_new_work_and_exits_zero()
    {
        var silos = await StartAsync(2, new() { ["TTS_DRAIN_SECONDS"] = "30", ["TTS_GLOBAL_MAX_INFLIGHT"] = "4", ["TTS_CLIENT_MAX_SHARE"] = "1" }, prefix: "drain");
        var (silo, other) = (silos[0], silos[1]);
        var inFlight = Enumerable.Range(0, 4).Select(i => silo.HttpClient.SpeakAsync(new { input = Http.Sentences($"In flight {i}", 40), voice = "alloy" })).ToList();
        await Poll.UntilAsync(async () => (await silo.HttpClient.ClusterAsync()).GetProperty("inFlight").GetInt32() >= 4, TimeSpan.FromSeconds(20), "4 requests in flight");

        silo.Terminate();
        await Poll.UntilAsync(async () => (await silo.HttpClient.GetAsync("/ready")).StatusCode == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(10), "/ready 503");
        var refused = await silo.HttpClient.SpeakAsync(new { input = "Too late.", voice = "alloy" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
        Assert.Contains("draining", await refused.Content.ReadAsStringAsync());

        var answers = await Task.WhenAll(inFlight);
        foreach (var r in answers) Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        Assert.Equal(0, await silo.WaitForExitAsync(TimeSpan.FromSeconds(40)));
        // It left the cluster: Orleans marked it dead on the way out, so no one waits for failure detection.
        var left = (await other.HttpClient.ClusterAsync()).GetProperty("cluster").GetProperty("members").EnumerateArray().Single(m => m.GetProperty("id").GetString() == silo.Id);
        Assert.Equal("dead", left.GetProperty("status").GetString());
        // The drain also waited for the results to be shared (that happens after each response): none was lost with the silo.
        await using var redis = Probe(RedisServer.ConnectionString);
        Assert.Equal(answers.Count(r => r.Header("X-Tts-Degraded") is null), redis.Keys().Length);
    }
}

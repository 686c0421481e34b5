using System.Net.Http.Json;
using System.Net;
using System.Text.Json;
using Npgsql;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>Several silo processes on loopback forming one Orleans cluster through Redis, sharing one PostgreSQL database (cache, jobs) per test.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClusterTests(PostgresServer postgres) : IAsyncLifetime
{
    private readonly List<SiloProcess> _silos = [];
    private string _db = "";

    public async Task InitializeAsync() => _db = await postgres.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
    }

    private async Task<SiloProcess[]> StartAsync(int count, Dictionary<string, string>? extra = null, string prefix = "silo")
    {
        var silos = await SiloProcess.StartManyAsync(count, i => ClusterSilo.Options($"{prefix}{i}", _db, extra));
        _silos.AddRange(silos);
        return silos;
    }

    private async Task<T> ScalarAsync<T>(string sql)
    {
        await using var connection = new NpgsqlConnection(_db);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        return (T)Convert.ChangeType((await command.ExecuteScalarAsync())!, typeof(T), System.Globalization.CultureInfo.InvariantCulture);
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
        var view = await survivor.HttpClient.ClusterAsync();
        var member = view.GetProperty("cluster").GetProperty("members").EnumerateArray().Single(m => m.GetProperty("id").GetString() == victim.Id);
        Assert.Equal("dead", member.GetProperty("status").GetString());
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

        var same = new { input = Http.Sentences("Twenty at once", 8), voice = "alloy" };
        var burst = await Task.WhenAll(Enumerable.Range(0, 20).Select(i => silos[i % 3].HttpClient.SpeakAsync(same)));
        Assert.All(burst, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, burst.Count(r => r.Header("X-Tts-Cache") == "miss"));
        Assert.Equal(19, burst.Count(r => r.Header("X-Tts-Cache") == "hit"));
    }

    [Fact]
    public async Task A_new_result_goes_to_postgresql_only_and_enters_the_local_cache_when_it_is_asked_for_again()
    {
        var silo = (await StartAsync(1))[0];
        async Task<double> LocalCacheBytesAsync()
        {
            var text = await silo.HttpClient.GetStringAsync("/metrics");
            return double.Parse(System.Text.RegularExpressions.Regex.Match(text, @"^tts_cache_memory_bytes(?:\{\})? (\S+)$", System.Text.RegularExpressions.RegexOptions.Multiline).Groups[1].Value,
                System.Globalization.CultureInfo.InvariantCulture);
        }

        // Ten one-off texts: synthesised, stored in the shared table, and none kept in the silo's memory.
        for (var i = 0; i < 10; i++)
        {
            var once = await silo.HttpClient.SpeakAsync(new { input = $"Said only once, number {i}.", voice = "alloy", response_format = "wav" });
            Assert.Equal(HttpStatusCode.OK, once.StatusCode);
            Assert.Equal("miss", once.Header("X-Tts-Cache"));
        }
        // Shared after each response (the requester does not wait for the insert).
        await Poll.UntilAsync(async () => await ScalarAsync<int>("SELECT count(*) FROM result_cache") == 10, TimeSpan.FromSeconds(20), "10 results in the shared table");
        Assert.Equal(0, await LocalCacheBytesAsync());

        // Asked again: a hit from the table, now kept locally; the third time is served from memory.
        var again = await silo.HttpClient.SpeakAsync(new { input = "Said only once, number 3.", voice = "alloy", response_format = "wav" });
        Assert.Equal("hit", again.Header("X-Tts-Cache"));
        var kept = await LocalCacheBytesAsync();
        Assert.InRange(kept, (await again.Content.ReadAsByteArrayAsync()).Length, 1 << 20);
        await using (var connection = new NpgsqlConnection(_db))
        {
            await connection.OpenAsync();
            await using var clear = new NpgsqlCommand("DELETE FROM result_cache", connection);
            await clear.ExecuteNonQueryAsync();
        }
        var third = await silo.HttpClient.SpeakAsync(new { input = "Said only once, number 3.", voice = "alloy", response_format = "wav" });
        Assert.Equal("hit", third.Header("X-Tts-Cache"));
        Assert.Equal(kept, await LocalCacheBytesAsync());
    }

    [Fact]
    public async Task The_shared_cache_keeps_its_size_cap_by_dropping_the_oldest_results()
    {
        var silo = (await StartAsync(1, new() { ["TTS_CACHE_PG_MB"] = "1" }))[0];
        long produced = 0;
        for (var i = 0; i < 30; i++)
        {
            var once = await silo.HttpClient.SpeakAsync(new { input = $"Said only once, number {i}, to fill the shared table.", voice = "alloy", response_format = "wav" });
            Assert.Equal(HttpStatusCode.OK, once.StatusCode);
            produced += (await once.Content.ReadAsByteArrayAsync()).Length;
        }
        Assert.True(produced > 2 << 20, $"{produced} bytes produced, more than twice the cap");

        // Trimmed in the background, once a sixteenth of the cap was stored since the last trim: at most that much above it.
        const long cap = 1 << 20;
        await Poll.UntilAsync(async () => await ScalarAsync<long>("SELECT coalesce(sum(size_bytes), 0) FROM result_cache") <= cap + cap / 16,
            TimeSpan.FromSeconds(20), "the shared cache within 1 MiB + 1/16");
        Assert.Equal(0, await ScalarAsync<int>("SELECT count(*) FROM result_cache WHERE content IS NULL OR size_bytes <> length(content)"));
        var newest = await silo.HttpClient.SpeakAsync(new { input = "Said only once, number 29, to fill the shared table.", voice = "alloy", response_format = "wav" });
        Assert.Equal("hit", newest.Header("X-Tts-Cache"));
        var oldest = await silo.HttpClient.SpeakAsync(new { input = "Said only once, number 0, to fill the shared table.", voice = "alloy", response_format = "wav" });
        Assert.Equal("miss", oldest.Header("X-Tts-Cache"));
    }

    [Fact]
    public async Task When_postgres_stops_silos_keep_serving_and_rebuild_the_cluster_state_after_it_returns()
    {
        var silos = await StartAsync(2, new() { ["TTS_GLOBAL_MAX_INFLIGHT"] = "4", ["TTS_CLIENT_MAX_SHARE"] = "1" }, prefix: "pgfault");
        Assert.Equal(HttpStatusCode.OK, (await silos[0].HttpClient.SpeakAsync(new { input = "Before the outage.", voice = "alloy" })).StatusCode);

        await postgres.StopAsync();
        try
        {
            for (var i = 0; i < 6; i++)
            {
                var r = await silos[i % 2].HttpClient.SpeakAsync(new { input = $"During the outage {i}.", voice = "alloy" });
                Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            }
            foreach (var silo in silos)
            {
                var ready = await silo.HttpClient.GetAsync("/ready");
                Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
                Assert.Contains("unavailable", await ready.Content.ReadAsStringAsync());
            }
        }
        finally
        {
            await postgres.StartAsync();
        }

        foreach (var silo in silos)
            await Poll.UntilAsync(async () =>
            {
                var c = await silo.HttpClient.ClusterAsync();
                var cluster = c.GetProperty("cluster");
                return cluster.GetProperty("storage").GetString() == "available"
                    && cluster.GetProperty("members").EnumerateArray().Count(m => m.GetProperty("status").GetString() == "active") == 2;
            }, TimeSpan.FromSeconds(20), $"{silo.Id} sees the rebuilt cluster");
        var after = await silos[0].HttpClient.SpeakAsync(new { input = "After the outage.", voice = "alloy" });
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Null(after.Header("X-Tts-Degraded"));
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
        Assert.Equal(answers.Count(r => r.Header("X-Tts-Degraded") is null), await ScalarAsync<int>("SELECT count(*) FROM result_cache"));
        Assert.Equal(0, await ScalarAsync<int>("SELECT count(*) FROM result_cache_pending"));
    }
}

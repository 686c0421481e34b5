using System.Collections.Concurrent;
using System.Net;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// Short versions of the fault scenarios of bench/reliability: a frontend in front of two silos under steady
/// light load while a silo drains and restarts, Redis stops, or an eSpeak engine host dies. Each test's cluster has a
/// redis-server of its own (membership, grain state and the result cache), so stopping it touches no other test.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FaultTests(TestClusters clusters) : IAsyncLifetime
{
    private readonly List<SiloProcess> _processes = [];
    private string _clusterId = "";
    private SiloProcess _frontend = null!;
    private readonly SiloProcess?[] _silos = new SiloProcess?[2];
    private int _generation;
    private PrivateRedis? _redisServer;
    private string _redis = "";

    public async Task InitializeAsync()
    {
        _redisServer = new PrivateRedis();
        _redis = _redisServer.ConnectionString;
        _clusterId = await clusters.NewAsync();
        await Task.WhenAll(StartSiloAsync(0), StartSiloAsync(1));
        _frontend = await SiloProcess.StartAsync(ClusterSilo.Options("fault-frontend", _clusterId, new Dictionary<string, string>
        {
            ["TTS_SILOS_REFRESH_MS"] = "100", ["TTS_CLIENT_MAX_SHARE"] = "1",
        }).WithEnvironment("TTS_REDIS", _redis) with { Arguments = ["--role", "frontend"] });
        _processes.Add(_frontend);
        await Poll.UntilAsync(async () => (await RoutedSilosAsync()).Length == 2, TimeSpan.FromSeconds(10), "the frontend sees both silos");
    }

    public async Task DisposeAsync()
    {
        foreach (var p in _processes) await p.DisposeAsync();
        _redisServer?.Dispose();
    }

    private async Task StartSiloAsync(int slot)
    {
        var silo = await SiloProcess.StartAsync(ClusterSilo.Options($"fault{slot}-g{Interlocked.Increment(ref _generation)}", _clusterId, new Dictionary<string, string>
        {
            ["TTS_DRAIN_SECONDS"] = "20",
        }).WithEnvironment("TTS_REDIS", _redis));
        lock (_processes) _processes.Add(silo);
        _silos[slot] = silo;
    }

    private async Task<string[]> RoutedSilosAsync() =>
        (await _frontend.HttpClient.ReadyAsync()).GetProperty("details").GetProperty("frontend.silos").GetString() is { Length: > 0 } s ? s.Split(',') : [];

    /// <summary>
    /// Two callers sending one-sentence requests back to back through the frontend until stopped; every answer's status
    /// (or exception). They wait for a permit up to 20 s: this machine may be slow, and the tests are about faults, not capacity.
    /// </summary>
    private sealed class SteadyLoad : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _callers;
        public ConcurrentQueue<string> Results { get; } = new();

        public SteadyLoad(HttpClient client, string tag)
        {
            _callers = Task.WhenAll(Enumerable.Range(0, 2).Select(c => Task.Run(async () =>
            {
                for (var i = 0; !_stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        using var r = await client.SpeakAsync(new { input = $"{tag} caller {c} request {i} is spoken now.", voice = "alloy", response_format = "wav", max_wait_ms = 20000 }, apiKey: $"{tag}{c}");
                        var bytes = await r.Content.ReadAsByteArrayAsync();
                        Results.Enqueue(r.StatusCode == HttpStatusCode.OK && bytes.Length > 1000 ? "200" : $"{(int)r.StatusCode}: {System.Text.Encoding.UTF8.GetString(bytes)}");
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        Results.Enqueue($"{e.GetType().Name}: {e.Message}");
                    }
                }
            })));
        }

        public int Succeeded => Results.Count(r => r == "200");

        public async Task<string[]> StopAsync()
        {
            await _stop.CancelAsync();
            await _callers;
            return Results.Where(r => r != "200").ToArray();
        }

        public async ValueTask DisposeAsync()
        {
            if (!_stop.IsCancellationRequested) await StopAsync();
            _stop.Dispose();
        }
    }

    [Fact]
    public async Task A_rolling_update_of_both_silos_under_load_fails_no_request_through_the_frontend()
    {
        await using var load = new SteadyLoad(_frontend.HttpClient, "rolling");
        await Poll.UntilAsync(() => Task.FromResult(load.Succeeded >= 3), TimeSpan.FromSeconds(20), "load flows");
        // As the Helm chart rolls (maxSurge, maxUnavailable 0): the replacement is routable before the old silo gets SIGTERM.
        for (var slot = 0; slot < 2; slot++)
        {
            var old = _silos[slot]!;
            await StartSiloAsync(slot);
            var id = _silos[slot]!.Id;
            await Poll.UntilAsync(async () => (await RoutedSilosAsync()).Contains(id), TimeSpan.FromSeconds(10), $"the frontend routes to {id}");
            old.Terminate();
            Assert.Equal(0, await old.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        var served = load.Succeeded;
        await Poll.UntilAsync(() => Task.FromResult(load.Succeeded >= served + 3), TimeSpan.FromSeconds(20), "load flows on the new silos");
        var failures = await load.StopAsync();
        Assert.True(failures.Length == 0, $"{failures.Length} of {load.Results.Count} requests failed: {string.Join(" | ", failures.Take(5))}");
    }

    [Fact]
    public async Task With_redis_stopped_30_s_under_load_the_cluster_keeps_serving_reports_degraded_and_recovers_by_itself()
    {
        await using var load = new SteadyLoad(_frontend.HttpClient, "outage");
        await Poll.UntilAsync(() => Task.FromResult(load.Succeeded >= 3), TimeSpan.FromSeconds(20), "load flows");
        _redisServer!.Stop();
        var outage = System.Diagnostics.Stopwatch.StartNew();
        int servedDuringOutage;
        try
        {
            foreach (var process in _silos.Append(_frontend))
            {
                await Poll.UntilAsync(async () => (await process!.HttpClient.ReadyAsync()).GetProperty("details").TryGetProperty("cache.degraded", out _),
                    TimeSpan.FromSeconds(15), $"{process!.Id} reports the cache degraded");
                Assert.Equal(System.Net.HttpStatusCode.OK, (await process.HttpClient.GetAsync("/ready")).StatusCode);
            }
            var before = load.Succeeded;
            // Interactive requests go on for the whole outage: membership is kept in each silo, admission by the grain.
            await Poll.UntilAsync(() => Task.FromResult(outage.Elapsed >= TimeSpan.FromSeconds(30) && load.Succeeded >= before + 6), TimeSpan.FromSeconds(60),
                "30 s of outage with requests served", TimeSpan.FromMilliseconds(250));
            servedDuringOutage = load.Succeeded - before;
            Assert.Equal(2, (await RoutedSilosAsync()).Length);
        }
        finally
        {
            _redisServer.Start();
        }
        foreach (var process in _silos.Append(_frontend))
            await Poll.UntilAsync(async () => (await process!.HttpClient.ReadyAsync()).GetProperty("details") is var d
                    && !d.TryGetProperty("cache.degraded", out _) && !d.TryGetProperty("admission.degraded", out _),
                TimeSpan.FromSeconds(30), $"{process!.Id} recovers");
        var failures = await load.StopAsync();
        Console.WriteLine($"{servedDuringOutage} requests served during {outage.Elapsed.TotalSeconds:0} s without Redis");
        Assert.True(failures.Length == 0, $"{failures.Length} of {load.Results.Count} requests failed ({servedDuringOutage} served during the outage): {string.Join(" | ", failures.Take(5))}");
        foreach (var process in _silos.Append(_frontend))
            Assert.DoesNotContain("declared dead", process!.Output);
    }

    [Fact]
    public async Task Killing_a_silos_espeak_host_mid_synthesis_retries_the_sentence_and_the_silo_stays_ready()
    {
        var silo = _silos[0]!;
        // A long text straight to one silo keeps its only engine host busy sentence after sentence.
        var text = Http.Sentences("Interrupted", 24);
        var reference = SpeechStreams.WavSamples(await (await silo.HttpClient.SpeakAsync(new { input = text, voice = "alloy", response_format = "wav", max_wait_ms = 20000 })).Content.ReadAsByteArrayAsync());
        var host = (await Poll.UntilAsync(() => Task.FromResult(EngineHosts(silo.ProcessId) is { Length: > 0 } pids ? pids : null),
            TimeSpan.FromSeconds(20), "the silo's engine host runs"))[0];
        var request = silo.HttpClient.SpeakAsync(new { input = text + " Again.", voice = "alloy", response_format = "wav", max_wait_ms = 20000 });
        // Only /ready in the loop (cheap), and stop at once if the request ended before it was seen running.
        await Poll.UntilAsync(async () => request.IsCompleted
            ? throw new Xunit.Sdk.XunitException($"The request ended ({(int)(await request).StatusCode}) before it was seen running: {await (await request).Content.ReadAsStringAsync()}")
            : (await silo.HttpClient.ReadyAsync()).GetProperty("running").GetInt32() > 0,
            TimeSpan.FromSeconds(20), "the silo synthesises");
        System.Diagnostics.Process.GetProcessById(host).Kill();

        using var response = await request;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var samples = SpeechStreams.WavSamples(await response.Content.ReadAsByteArrayAsync());
        // Every sentence is there (one lost sentence is ~3 s = 66,000 samples); "Again." adds under a second.
        Assert.InRange(samples - reference, 0, 30_000);
        var ready = await silo.HttpClient.ReadyAsync();
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        await Poll.UntilAsync(() => Task.FromResult(EngineHosts(silo.ProcessId).Any(p => p != host)), TimeSpan.FromSeconds(10), "a replacement engine host runs");
        Assert.Equal(HttpStatusCode.OK, (await silo.HttpClient.SpeakAsync(new { input = "After the crash.", voice = "alloy" })).StatusCode);
    }

    /// <summary>
    /// Live EngineHost children of <paramref name="pid"/> that serve interactive sentences, from /proc (the background hosts for
    /// job sentences run at nice 10 and are left out).
    /// </summary>
    private static int[] EngineHosts(int pid) =>
        Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), out var p) ? p : 0)
            .Where(p => p > 0)
            .Where(p =>
            {
                try
                {
                    var raw = File.ReadAllText($"/proc/{p}/stat");
                    var stat = raw[(raw.LastIndexOf(')') + 2)..].Split(' '); // from field 3 (state): [1] parent, [16] nice
                    return int.Parse(stat[1], System.Globalization.CultureInfo.InvariantCulture) == pid && stat[16] == "0"
                        && File.ReadAllText($"/proc/{p}/cmdline").Contains("Orleans.Tts.EngineHost", StringComparison.Ordinal);
                }
                catch (IOException) { return false; }
            })
            .ToArray();
}

using System.Net;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>Silos whose Redis (Orleans membership) stops: they go on serving, and a silo told to stop still exits in time.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RedisOutageTests(TestClusters clusters) : IAsyncLifetime
{
    private readonly string _redisDir = Path.Combine(Path.GetTempPath(), $"tts-test-redis-outage-{Guid.NewGuid():n}");
    private System.Diagnostics.Process? _redis;
    private SiloProcess[] _silos = [];

    public async Task InitializeAsync()
    {
        _redis = RedisServer.Start(out var redis, _redisDir);
        var db = await clusters.NewAsync();
        _silos = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"outage{i}", db, new Dictionary<string, string>
        {
            ["TTS_DRAIN_SECONDS"] = "5", ["TTS_CLIENT_MAX_SHARE"] = "1",
        }).WithEnvironment("TTS_REDIS", redis));
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
        if (_redis is not null) RedisServer.Stop(_redis);
        Directory.Delete(_redisDir, recursive: true);
    }

    [Fact]
    public async Task With_redis_stopped_silos_keep_serving_and_one_told_to_stop_exits_within_its_shutdown_timeout()
    {
        await Poll.UntilAsync(async () => (await _silos[0].HttpClient.ClusterAsync()).GetProperty("cluster").GetProperty("members").GetArrayLength() == 2,
            TimeSpan.FromSeconds(20), "both silos in the cluster");
        Assert.Equal(HttpStatusCode.OK, (await _silos[0].HttpClient.SpeakAsync(new { input = "Before the outage.", voice = "alloy" })).StatusCode);

        RedisServer.Stop(_redis!);
        // Membership is kept in each silo while the table cannot be read: synthesis, admission and the grains go on.
        for (var i = 0; i < 4; i++)
        {
            var r = await _silos[i % 2].HttpClient.SpeakAsync(new { input = $"During the outage {i}.", voice = "alloy", response_format = "wav" });
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"request {i}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        }

        // SIGTERM: drain (5 s at most) plus the host's shutdown timeout (drain + 10 s) bound the exit, Redis or not.
        var stopping = System.Diagnostics.Stopwatch.StartNew();
        _silos[0].Terminate();
        var code = await _silos[0].WaitForExitAsync(TimeSpan.FromSeconds(5 + 10 + 10));
        Console.WriteLine($"Silo exited with {code} {stopping.Elapsed.TotalSeconds:0.0} s after SIGTERM with Redis down");
        Assert.Equal(0, code);
        Assert.Equal(HttpStatusCode.OK, (await _silos[1].HttpClient.SpeakAsync(new { input = "The other silo still serves.", voice = "alloy" })).StatusCode);
    }
}

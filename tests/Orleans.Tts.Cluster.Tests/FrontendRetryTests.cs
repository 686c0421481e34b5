using System.Net;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>A frontend whose silo list is stale (read once) meets a silo that answers 503: it retries on the other.</summary>
[Collection(ClusterCollection.Name)]
public sealed class FrontendRetryTests(PostgresServer postgres) : IAsyncLifetime
{
    private SiloProcess[] _silos = [];
    private SiloProcess _frontend = null!;

    public async Task InitializeAsync()
    {
        var db = await postgres.CreateDatabaseAsync();
        // One worker and no queue place: a busy silo refuses at once with 503.
        _silos = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"busy{i}", db, new Dictionary<string, string>
        {
            ["TTS_WORKER_QUEUE"] = "0", ["TTS_MAX_INPUT_CHARS"] = "30000", ["TTS_GLOBAL_MAX_INFLIGHT"] = "8", ["TTS_CLIENT_MAX_SHARE"] = "1",
        }) with { InternalPort = true });
        // The list (and the loads in it) is read at start and not again for a minute: routing cannot avoid the busy silo by its load.
        _frontend = await SiloProcess.StartAsync(ClusterSilo.Options("frontend2", db, new Dictionary<string, string>
        {
            ["TTS_SILOS_REFRESH_MS"] = "60000", ["TTS_GLOBAL_MAX_INFLIGHT"] = "8", ["TTS_CLIENT_MAX_SHARE"] = "1",
        }) with { Arguments = ["--role", "frontend"] });
        Assert.Equal(2, (await _frontend.HttpClient.ReadyAsync()).GetProperty("details").GetProperty("frontend.silos").GetString()!.Split(',').Length);
    }

    public async Task DisposeAsync()
    {
        await _frontend.DisposeAsync();
        foreach (var silo in _silos) await silo.DisposeAsync();
    }

    [Fact]
    public async Task Requests_that_land_on_a_silo_answering_503_are_retried_on_the_other_and_all_succeed()
    {
        var (busy, free) = (_silos[0], _silos[1]);
        // A long stream that is never read keeps the busy silo's only worker taken (synthesising, then held by backpressure).
        using var held = await busy.HttpClient.SpeakStreamingAsync(new { input = Http.Sentences("Held", 400), voice = "alloy", response_format = "wav", stream_format = "audio" });
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        var refused = await busy.HttpClient.SpeakAsync(new { input = "Refused here.", voice = "alloy" });
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);

        var before = (await free.HttpClient.ReadyAsync()).SentencesSynthesized();
        for (var i = 0; i < 10; i++)
        {
            var r = await _frontend.HttpClient.SpeakAsync(new { input = $"Retried request {i}.", voice = "alloy" });
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"request {i}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        }
        Assert.Equal(before + 10, (await free.HttpClient.ReadyAsync()).SentencesSynthesized());
        // Ten random picks between two silos all missing the busy one would be a 1-in-1024 event.
        Assert.NotEqual("0", (await _frontend.HttpClient.ReadyAsync()).GetProperty("details").GetProperty("frontend.retries").GetString());
    }
}

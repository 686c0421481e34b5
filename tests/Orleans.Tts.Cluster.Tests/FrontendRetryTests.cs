using System.Net;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// A frontend whose silo list is stale (read once) meets a silo that answers 503, drains or was killed: it retries on the
/// other, and passes a draining or unreachable silo over after the first failure instead of paying a retry per sentence.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class FrontendRetryTests(TestClusters clusters) : IAsyncLifetime
{
    private SiloProcess[] _silos = [];
    private SiloProcess _frontend = null!;

    public async Task InitializeAsync()
    {
        var db = await clusters.NewAsync();
        // One worker and no queue place: a busy silo refuses at once with 503. The silos keep their own requests (no spreading),
        // so the long stream that makes one busy does not take the other's worker too.
        _silos = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"busy{i}", db, new Dictionary<string, string>
        {
            ["TTS_SPREAD"] = "false", ["TTS_WORKER_QUEUE"] = "0", ["TTS_MAX_INPUT_CHARS"] = "30000", ["TTS_GLOBAL_MAX_INFLIGHT"] = "8", ["TTS_CLIENT_MAX_SHARE"] = "1",
        }));
        // The list (and the loads in it) is read at start and not again for a minute: routing cannot avoid the busy silo by its load.
        _frontend = await SiloProcess.StartAsync(ClusterSilo.Options("frontend2", db, new Dictionary<string, string>
        {
            ["TTS_SILOS_REFRESH_MS"] = "60000", ["TTS_GLOBAL_MAX_INFLIGHT"] = "8", ["TTS_CLIENT_MAX_SHARE"] = "1",
            // A lost silo stays passed over for the whole test, however slowly this machine serves the ten requests.
            ["TTS_FRONTEND_AVOID_SECONDS"] = "600",
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

    [Fact]
    public async Task A_draining_silo_costs_the_frontend_one_retry_then_is_passed_over_while_its_list_still_names_it()
    {
        var (draining, free) = (_silos[0], _silos[1]);
        // A stream held open keeps the silo draining (its drain waits for the work in flight) instead of exiting at once.
        using var held = await draining.HttpClient.SpeakStreamingAsync(new { input = Http.Sentences("Held", 400), voice = "alloy", response_format = "wav", stream_format = "audio" });
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        draining.Terminate();
        await Poll.UntilAsync(async () => (await draining.HttpClient.GetAsync("ready")).StatusCode == HttpStatusCode.ServiceUnavailable,
            TimeSpan.FromSeconds(10), "the silo reports that it drains");

        await AssertTenRequestsServedByAsync(free, passedOver: draining);
    }

    [Fact]
    public async Task A_killed_silo_costs_the_frontend_one_retry_then_is_passed_over_until_it_leaves_the_list()
    {
        var (killed, alive) = (_silos[0], _silos[1]);
        killed.Kill();
        await killed.WaitForExitAsync(TimeSpan.FromSeconds(10));

        await AssertTenRequestsServedByAsync(alive, passedOver: killed);
    }

    /// <summary>
    /// Ten requests in a row through the frontend all succeed on <paramref name="server"/>, and at most one sentence was first sent
    /// to <paramref name="passedOver"/> (before the fix, each request had one chance in two to try it first).
    /// </summary>
    private async Task AssertTenRequestsServedByAsync(SiloProcess server, SiloProcess passedOver)
    {
        var before = (await server.HttpClient.ReadyAsync()).SentencesSynthesized();
        for (var i = 0; i < 10; i++)
        {
            var r = await _frontend.HttpClient.SpeakAsync(new { input = $"Request {i} goes around the lost silo.", voice = "alloy" });
            Assert.True(r.StatusCode == HttpStatusCode.OK, $"request {i}: {(int)r.StatusCode} {await r.Content.ReadAsStringAsync()}");
        }
        Assert.Equal(before + 10, (await server.HttpClient.ReadyAsync()).SentencesSynthesized());
        var details = (await _frontend.HttpClient.ReadyAsync()).GetProperty("details");
        Assert.Contains(passedOver.Id, details.GetProperty("frontend.silos").GetString()!.Split(','));
        var retries = int.Parse(details.GetProperty("frontend.retries").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.True(retries <= 1, $"{retries} sentences were retried after trying {passedOver.Id}; it should have been passed over after the first");
        Assert.Equal(passedOver.Id, details.GetProperty("frontend.avoided").GetString());
    }
}

using System.Net;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>Streams and the shared result cache (Redis) through a frontend in front of a silo.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StreamCacheClusterTests(TestClusters clusters) : IAsyncLifetime
{
    private SiloProcess[] _silos = [];
    private SiloProcess _frontend = null!;
    private string _database = null!;

    public async Task InitializeAsync()
    {
        _database = await clusters.NewAsync();
        (_silos, _frontend) = await ClusterSilo.StartWithFrontendAsync(_database, "streamcache", 1);
    }

    public async Task DisposeAsync()
    {
        await _frontend.DisposeAsync();
        foreach (var silo in _silos) await silo.DisposeAsync();
    }

    [Fact]
    public async Task A_completed_stream_through_a_frontend_is_cached_for_everyone_and_a_second_one_is_served_without_the_silos()
    {
        var text = Http.Sentences("Cached stream", 3);
        var body = new { input = text, voice = "alloy", response_format = "wav", stream_format = "sse" };
        var before = (await ClusterSilo.SentencesPerSiloAsync(_silos)).Sum();

        using var first = await _frontend.HttpClient.SpeakStreamingAsync(body);
        Assert.Equal("miss", first.Header("X-Tts-Cache"));
        var fresh = await first.ReadEventsAsync();
        Assert.Equal(before + 3, (await ClusterSilo.SentencesPerSiloAsync(_silos)).Sum());

        using var second = await _frontend.HttpClient.SpeakStreamingAsync(body);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("hit", second.Header("X-Tts-Cache"));
        var cached = await second.ReadEventsAsync();
        Assert.Equal(before + 3, (await ClusterSilo.SentencesPerSiloAsync(_silos)).Sum());

        static byte[] Audio(List<System.Text.Json.JsonElement> events) =>
            events.Where(e => e.GetProperty("type").GetString() == "speech.audio.delta").SelectMany(e => Convert.FromBase64String(e.GetProperty("audio").GetString()!)).ToArray();
        var streamed = Audio(fresh);
        Assert.Equal(streamed, Audio(cached));
        Assert.Equal(fresh[^1].GetProperty("usage").ToString(), cached[^1].GetProperty("usage").ToString());

        // The frontend stored the whole file in the result cache in Redis: another frontend process answers the whole-file request from it.
        await using var other = await SiloProcess.StartAsync(ClusterSilo.Options("streamcachefront2", _database, new Dictionary<string, string>
        {
            ["TTS_SILOS_REFRESH_MS"] = "100", ["TTS_CLIENT_MAX_SHARE"] = "1",
        }) with { Arguments = ["--role", "frontend"] });
        var whole = await other.HttpClient.SpeakAsync(new { input = text, voice = "alloy", response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal("hit", whole.Header("X-Tts-Cache"));
        var file = await whole.Content.ReadAsByteArrayAsync();
        Assert.Equal(((uint)file.Length - 8, (uint)file.Length - 44, 22050), SpeechStreams.WavHeader(file));
        Assert.Equal(streamed[44..], file[44..]);
        Assert.Equal(before + 3, (await ClusterSilo.SentencesPerSiloAsync(_silos)).Sum());
    }
}

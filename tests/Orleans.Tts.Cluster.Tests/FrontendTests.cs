using System.Net;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>A <c>--role frontend</c> process (no engines) in front of silo processes it finds in Orleans' membership table in Redis.</summary>
[Collection(ClusterCollection.Name)]
public sealed class FrontendTests(TestClusters clusters) : IAsyncLifetime
{
    private SiloProcess[] _silos = [];
    private SiloProcess _frontend = null!;

    public async Task InitializeAsync()
    {
        var db = await clusters.NewAsync();
        _silos = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"h2silo{i}", db));
        _frontend = await SiloProcess.StartAsync(ClusterSilo.Options("frontend1", db, new Dictionary<string, string>
        {
            ["TTS_SILOS_REFRESH_MS"] = "100", ["TTS_GLOBAL_MAX_INFLIGHT"] = "8", ["TTS_CLIENT_MAX_SHARE"] = "1",
        }) with { Arguments = ["--role", "frontend"] });
        await Poll.UntilAsync(async () =>
            (await _frontend.HttpClient.ReadyAsync()).GetProperty("details").GetProperty("frontend.silos").GetString()!.Split(',').Length == 2,
            TimeSpan.FromSeconds(10), "the frontend sees both silos");
    }

    public async Task DisposeAsync()
    {
        await _frontend.DisposeAsync();
        foreach (var silo in _silos) await silo.DisposeAsync();
    }

    private async Task<long> SentencesOnSilosAsync() =>
        (await Task.WhenAll(_silos.Where(s => !s.HasExited).Select(async s => (await s.HttpClient.ReadyAsync()).SentencesSynthesized()))).Sum();

    [Fact]
    public async Task A_frontend_without_engines_serves_whole_and_streamed_speech_synthesised_on_the_silos()
    {
        var ready = await _frontend.HttpClient.ReadyAsync();
        Assert.False(ready.GetProperty("details").TryGetProperty("espeak.hosts", out _), "the frontend runs no engines");
        var before = await SentencesOnSilosAsync();

        var whole = await _frontend.HttpClient.SpeakAsync(new { input = "Through the frontend. Two sentences.", voice = "alloy", response_format = "wav" });
        Assert.True(whole.StatusCode == HttpStatusCode.OK, $"{(int)whole.StatusCode}: {await whole.Content.ReadAsStringAsync()}");
        Assert.Equal(22050, SpeechStreams.WavHeader(await whole.Content.ReadAsByteArrayAsync()).SampleRate);

        using var sse = await _frontend.HttpClient.SpeakStreamingAsync(new { input = "Streamed through the frontend. In two sentences.", voice = "alloy", response_format = "wav", stream_format = "sse" });
        var events = await sse.ReadEventsAsync();
        Assert.Equal(new[] { "speech.audio.delta", "speech.audio.delta", "speech.audio.done" }, events.Select(e => e.GetProperty("type").GetString()));

        Assert.Equal(before + 4, await SentencesOnSilosAsync());
    }

    [Fact]
    public async Task Word_timings_through_a_frontend_map_to_its_input_although_the_silos_synthesise_the_sentences()
    {
        // The frontend plans: each sentence goes to a silo with its map to the input, and comes back with words on the input.
        const string input = "It costs $120 today. 我们用 Kubernetes 部署服务。";
        var response = await _frontend.HttpClient.SpeakAsync(new { input, voice = "espeak:cmn", response_format = "wav", timestamps = "word" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        var words = System.Text.Json.JsonDocument.Parse(text).RootElement.GetProperty("words").EnumerateArray().ToList();
        var texts = words.Select(w => w.GetProperty("word").GetString()!).ToList();
        Assert.Equal(["It", "costs", "$120", "today", "我", "们", "用", "Kubernetes", "部", "署", "服", "务"], texts);
        Assert.All(words, w => Assert.Equal(input[w.GetProperty("text_start").GetInt32()..w.GetProperty("text_end").GetInt32()], w.GetProperty("word").GetString()));
        var starts = words.Select(w => w.GetProperty("start_ms").GetDouble()).ToList();
        Assert.Equal(starts.Order(), starts);
    }

    [Fact]
    public async Task When_the_silo_serving_a_long_stream_is_killed_the_stream_completes_on_the_other_and_new_requests_avoid_it()
    {
        const int count = 40;
        var text = Http.Sentences("Resumed", count);
        var before = await Task.WhenAll(_silos.Select(async s => (await s.HttpClient.ReadyAsync()).SentencesSynthesized()));
        using var response = await _frontend.HttpClient.SpeakStreamingAsync(new { input = text, voice = "alloy", response_format = "wav", stream_format = "audio" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await using var body = await response.Content.ReadAsStreamAsync();
        var streamed = new MemoryStream();
        var head = new byte[4096];
        await body.ReadExactlyAsync(head);
        streamed.Write(head);

        // The reader holds back, so the frontend has only a window of sentences done and the rest still to ask for; the silo
        // that did most of them so far is killed (each sentence is one call, so "the silo serving the stream" is whichever
        // silo the next sentences would go to: both, until one is dead).
        var serving = await Poll.UntilAsync(async () =>
        {
            var now = await Task.WhenAll(_silos.Select(async s => (await s.HttpClient.ReadyAsync()).SentencesSynthesized()));
            var done = now.Zip(before, (a, b) => a - b).ToArray();
            return done.Sum() >= 2 ? _silos[Array.IndexOf(done, done.Max())] : null;
        }, TimeSpan.FromSeconds(20), "the silos synthesise the stream's first sentences");
        serving.Kill();
        var survivor = _silos.Single(s => s != serving);

        await body.CopyToAsync(streamed);
        var samples = SpeechStreams.WavSamples(streamed.ToArray());
        var reference = SpeechStreams.WavSamples(await (await survivor.HttpClient.SpeakAsync(new { input = text, voice = "alloy", response_format = "wav" })).Content.ReadAsByteArrayAsync());
        // A lost or repeated sentence is ~3 s (66,000 samples); engine-host history moves a sentence by a few ms.
        Assert.True(Math.Abs(samples - reference) < 20_000, $"streamed {samples} samples, {reference} in one piece");

        // Before the dead silo is swept from the membership table, the frontend still routes around it.
        for (var i = 0; i < 4; i++)
        {
            var r = await _frontend.HttpClient.SpeakAsync(new { input = $"After the kill {i}.", voice = "alloy" });
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
        }
        Assert.NotEqual("0", (await _frontend.HttpClient.ReadyAsync()).GetProperty("details").GetProperty("frontend.retries").GetString());
    }
}

using System.Net;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>Streamed speech (<c>stream_format</c> audio and sse) from a real silo process.</summary>
[Collection(ClusterCollection.Name)]
public sealed class StreamingTests(TestClusters clusters) : IAsyncLifetime
{
    // Sentences of very different lengths: a swapped or missing one shows as a wrong length at its place.
    private static readonly string[] Sentences =
    [
        "Yes.",
        "This second sentence is a good deal longer than the first one was, by many words.",
        "Third.",
        "The fourth sentence, again, is long enough to be told apart from the short ones around it.",
        "End.",
    ];

    // eSpeak carries a little prosodic state between utterances: the same sentence may differ by a few
    // tens of milliseconds on another engine host, never by a word (~300 ms = 6600 samples).
    private const int SentenceTolerance = 1500;

    private SiloProcess _silo = null!;

    public async Task InitializeAsync()
    {
        var db = await clusters.NewAsync();
        _silo = await SiloProcess.StartAsync(ClusterSilo.Options("stream1", db, new Dictionary<string, string>
        {
            ["TTS_WORKERS"] = "2", ["TTS_REQUEST_PARALLELISM"] = "2", ["TTS_GLOBAL_MAX_INFLIGHT"] = "8", ["TTS_CLIENT_MAX_SHARE"] = "1",
        }));
    }

    public async Task DisposeAsync() => await _silo.DisposeAsync();

    private async Task<int[]> SentenceByItselfSamplesAsync() =>
        await Task.WhenAll(Sentences.Select(async s =>
        {
            var r = await _silo.HttpClient.SpeakAsync(new { input = s, voice = "alloy", response_format = "wav" });
            Assert.Equal(HttpStatusCode.OK, r.StatusCode);
            return SpeechStreams.WavSamples(await r.Content.ReadAsByteArrayAsync());
        }));

    [Fact]
    public async Task Sse_sends_one_base64_wav_delta_per_sentence_in_order_then_done_with_usage()
    {
        var expected = await SentenceByItselfSamplesAsync();
        var text = string.Join(" ", Sentences);
        using var response = await _silo.HttpClient.SpeakStreamingAsync(new { input = text, voice = "alloy", response_format = "wav", stream_format = "sse" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = await response.ReadEventsAsync();

        Assert.Equal(Sentences.Length + 1, events.Count);
        var deltas = events.Take(Sentences.Length).Select(e =>
        {
            Assert.Equal("speech.audio.delta", e.GetProperty("type").GetString());
            return Convert.FromBase64String(e.GetProperty("audio").GetString()!);
        }).ToList();
        // The first delta opens a streaming WAV; the deltas concatenated are one file.
        var header = SpeechStreams.WavHeader(deltas[0]);
        Assert.Equal((uint.MaxValue, uint.MaxValue, 22050), header);
        var samples = deltas.Select((d, i) => (d.Length - (i == 0 ? 44 : 0)) / 2).ToArray();
        for (var i = 0; i < Sentences.Length; i++)
            Assert.True(Math.Abs(samples[i] - expected[i]) <= SentenceTolerance,
                $"sentence {i} has {samples[i]} samples streamed, {expected[i]} alone");

        var done = events[^1];
        Assert.Equal("speech.audio.done", done.GetProperty("type").GetString());
        var usage = done.GetProperty("usage");
        Assert.Equal(text.Length, usage.GetProperty("input_tokens").GetInt32());
        Assert.Equal(usage.GetProperty("input_tokens").GetInt32() + usage.GetProperty("output_tokens").GetInt32(), usage.GetProperty("total_tokens").GetInt32());
        Assert.InRange(usage.GetProperty("output_tokens").GetInt32(), samples.Sum() * 1000 / 22050 - 1, samples.Sum() * 1000 / 22050 + 1);
    }

    [Fact]
    public async Task A_streamed_wav_has_a_streaming_header_and_the_same_audio_as_the_whole_file()
    {
        // Not the text of the SSE test: a completed stream is cached, and a cached result is not streamed sentence by sentence.
        var text = string.Join(" ", Sentences.Reverse());
        using var response = await _silo.HttpClient.SpeakStreamingAsync(new { input = text, voice = "alloy", response_format = "wav", stream_format = "audio" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/wav", response.Content.Headers.ContentType?.MediaType);
        Assert.Null(response.Content.Headers.ContentLength);
        Assert.NotNull(response.Headers.GetValues("X-Tts-First-Audio-Ms").Single());
        var streamed = await response.Content.ReadAsByteArrayAsync();
        // The completed stream answers the whole-file request from the cache: the same samples under a header with real sizes.
        var wholeResponse = await _silo.HttpClient.SpeakAsync(new { input = text, voice = "alloy", response_format = "wav" });
        Assert.Equal("hit", wholeResponse.Header("X-Tts-Cache"));
        var whole = await wholeResponse.Content.ReadAsByteArrayAsync();

        Assert.Equal((uint.MaxValue, uint.MaxValue, 22050), SpeechStreams.WavHeader(streamed));
        Assert.Equal(((uint)whole.Length - 8, (uint)whole.Length - 44, 22050), SpeechStreams.WavHeader(whole));
        Assert.Equal(streamed[44..], whole[44..]);
    }

    [Fact]
    public async Task Raw_pcm_streams_at_24_khz_and_an_unstreamable_format_is_a_problem_naming_the_streamable_ones()
    {
        using var pcm = await _silo.HttpClient.SpeakStreamingAsync(new { input = "Raw samples, streamed.", voice = "alloy", response_format = "pcm", stream_format = "audio" });
        Assert.Equal("audio/pcm", pcm.Content.Headers.ContentType?.MediaType);
        var bytes = await pcm.Content.ReadAsByteArrayAsync();
        Assert.NotEqual("RIFF", System.Text.Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.InRange(bytes.Length / 2 / 24000.0, 0.8, 4);

        var bad = await _silo.HttpClient.SpeakAsync(new { input = "Hello.", voice = "alloy", stream_format = "chunks" });
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        var problem = await bad.Content.ReadAsStringAsync();
        Assert.Contains("'audio'", problem);
        Assert.Contains("'sse'", problem);
    }

    [Fact]
    public async Task Closing_a_stream_early_frees_the_workers_and_leaves_the_remaining_sentences_unsynthesised()
    {
        const int count = 60;
        var before = (await _silo.HttpClient.ReadyAsync()).SentencesSynthesized();
        var text = Http.Sentences("Abandoned", count);
        using (var response = await _silo.HttpClient.SpeakStreamingAsync(new { input = text, voice = "alloy", response_format = "wav", stream_format = "audio" }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync();
            var first = new byte[64];
            Assert.True(await body.ReadAtLeastAsync(first, first.Length) == first.Length);
        }

        await Poll.UntilAsync(async () => (await _silo.HttpClient.ReadyAsync()).GetProperty("running").GetInt32() == 0,
            TimeSpan.FromSeconds(20), "the silo's workers are free again");
        var done = (await _silo.HttpClient.ReadyAsync()).SentencesSynthesized() - before;
        Assert.InRange(done, 1, count - 10);
    }
}

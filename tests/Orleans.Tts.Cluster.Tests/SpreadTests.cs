using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orleans.Tts.Synthesis.Text.Normalization;
using Orleans.Tts.Synthesis.Workers;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>A frontend spreads one request's sentences over three silo processes, reassembles them in order and stops them when the client leaves.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SpreadTests(TestClusters clusters) : IAsyncLifetime
{
    private SiloProcess[] _silos = [];
    private SiloProcess _frontend = null!;

    public async Task InitializeAsync() =>
        (_silos, _frontend) = await ClusterSilo.StartWithFrontendAsync(await clusters.NewAsync(), "spread", 3,
            frontendExtra: new Dictionary<string, string> { ["TTS_FRONTEND_REQUEST_LANES"] = "3", ["TTS_MAX_INPUT_CHARS"] = "40000" });

    public async Task DisposeAsync()
    {
        await _frontend.DisposeAsync();
        foreach (var silo in _silos) await silo.DisposeAsync();
    }

    private Task<long[]> SentencesPerSiloAsync() => ClusterSilo.SentencesPerSiloAsync(_silos);

    private async Task<int> RunningOnSilosAsync() =>
        (await Task.WhenAll(_silos.Select(async s => (await s.HttpClient.ReadyAsync()).GetProperty("running").GetInt32()))).Sum();

    [Fact]
    public async Task One_long_streamed_request_is_synthesised_on_every_silo_and_its_sentences_come_back_in_order()
    {
        // Short and long sentences alternate: a sentence out of place shows as a short delta where a long one belongs.
        const int count = 18;
        var sentences = Enumerable.Range(0, count).Select(i => i % 2 == 0
            ? $"Short {i}."
            : $"Sentence {i} is a good deal longer than the short ones around it, by very many words indeed.").ToArray();
        var before = await SentencesPerSiloAsync();

        using var response = await _frontend.HttpClient.SpeakStreamingAsync(new { input = string.Join(" ", sentences), voice = "alloy", response_format = "pcm", stream_format = "sse" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await response.ReadEventsAsync();
        Assert.Equal("speech.audio.done", events[^1].GetProperty("type").GetString());
        var deltas = events.SkipLast(1).Select(e => Convert.FromBase64String(e.GetProperty("audio").GetString()!).Length / 2).ToList();
        // One delta per sentence, then the streaming resampler's last samples (its filter's half width, ~1.6 ms at 24 kHz).
        Assert.Equal(count + 1, deltas.Count);
        Assert.InRange(deltas[^1], 1, 100);
        deltas.RemoveAt(count);
        var longestShort = deltas.Where((_, i) => i % 2 == 0).Max();
        var shortestLong = deltas.Where((_, i) => i % 2 == 1).Min();
        Assert.True(longestShort < shortestLong, $"every short sentence is shorter than every long one, in order: {string.Join(", ", deltas)}");

        var after = await SentencesPerSiloAsync();
        var share = after.Zip(before, (a, b) => a - b).ToArray();
        Assert.Equal(count, share.Sum());
        Assert.True(share.All(n => n > 0), $"every silo synthesised some of the sentences: {string.Join(", ", share)}");
    }

    [Fact]
    public async Task A_long_text_sent_to_a_co_hosting_silo_is_shared_with_the_other_silos_and_a_one_sentence_text_stays_on_it()
    {
        var before = await SentencesPerSiloAsync();
        var whole = await _silos[1].HttpClient.SpeakAsync(new { input = Http.Sentences("Shared", 12), voice = "alloy", response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        var share = (await SentencesPerSiloAsync()).Zip(before, (a, b) => a - b).ToArray();
        Assert.Equal(12, share.Sum());
        Assert.True(share.All(n => n > 0), $"every silo synthesised some of the sentences sent to silo 1: {string.Join(", ", share)}");

        before = await SentencesPerSiloAsync();
        var one = await _silos[2].HttpClient.SpeakAsync(new { input = "Just one sentence here.", voice = "alloy", response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        var after = await SentencesPerSiloAsync();
        Assert.Equal(new long[] { 0, 0, 1 }, after.Zip(before, (a, b) => a - b).ToArray());
    }

    private Task<long[]> TextsPlannedPerSiloAsync() =>
        Task.WhenAll(_silos.Select(async s => (await s.HttpClient.ReadyAsync()).TextsPlanned()));

    [Fact]
    public async Task The_frontend_plans_a_text_once_and_the_silos_synthesise_its_sentences_without_planning_the_whole_text()
    {
        const int count = 20;
        var (plannedBefore, sentencesBefore) = (await TextsPlannedPerSiloAsync(), await SentencesPerSiloAsync());

        var spread = await _frontend.HttpClient.SpeakAsync(new { input = Http.Sentences("Planned", count), voice = "alloy", response_format = "pcm" });
        Assert.Equal(HttpStatusCode.OK, spread.StatusCode);
        Assert.True((await spread.Content.ReadAsByteArrayAsync()).Length > count * 24_000, "about a second or more of 24 kHz PCM per sentence");

        var planned = (await TextsPlannedPerSiloAsync()).Zip(plannedBefore, (a, b) => a - b).ToArray();
        var sentences = (await SentencesPerSiloAsync()).Zip(sentencesBefore, (a, b) => a - b).ToArray();
        Assert.Equal(count, sentences.Sum());
        Assert.True(planned.All(n => n == 0), $"no silo planned the text (it was sent sentences): {string.Join(", ", planned)}");

        // The counter does count: a silo asked directly for one sentence (nothing to share) plans the text in its pool, once.
        var direct = await _silos[0].HttpClient.SpeakAsync(new { input = "Direct and alone.", voice = "alloy", response_format = "pcm" });
        Assert.Equal(HttpStatusCode.OK, direct.StatusCode);
        Assert.Equal(plannedBefore[0] + planned[0] + 1, (await _silos[0].HttpClient.ReadyAsync()).TextsPlanned());
    }

    [Fact]
    public async Task A_whole_file_from_sentences_spread_over_silos_is_as_long_as_the_same_text_synthesised_by_a_silo_alone()
    {
        var text = Http.Sentences("Whole", 12);
        var spread = await _frontend.HttpClient.SpeakAsync(new { input = text, voice = "alloy", response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, spread.StatusCode);
        await using var alone = await SiloProcess.StartAsync(ClusterSilo.Options("alone", await clusters.NewAsync()));
        var one = await alone.HttpClient.SpeakAsync(new { input = text, voice = "alloy", response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, one.StatusCode);
        var (a, b) = (SpeechStreams.WavSamples(await spread.Content.ReadAsByteArrayAsync()), SpeechStreams.WavSamples(await one.Content.ReadAsByteArrayAsync()));
        // A lost or repeated sentence is ~3 s (66,000 samples); engine-host history moves a sentence by a few ms.
        Assert.True(Math.Abs(a - b) < 12 * 1500, $"spread {a} samples, one silo {b}");
    }

    [Theory]
    [InlineData("audio")]
    [InlineData(null)]
    public async Task When_the_client_leaves_a_long_request_every_silo_stops_its_share_promptly(string? streamFormat)
    {
        const int count = 300;
        var before = (await SentencesPerSiloAsync()).Sum();
        using var leave = new CancellationTokenSource();
        var body = new Dictionary<string, object?> { ["input"] = Http.Sentences("Abandoned", count), ["voice"] = "alloy", ["response_format"] = "wav" };
        if (streamFormat is not null) body["stream_format"] = streamFormat;
        var request = Task.Run(async () =>
        {
            // The client reads everything it is sent, as fast as it comes (no backpressure holds the silos back).
            using var response = await _frontend.HttpClient.SpeakStreamingAsync(body, leave.Token);
            await using var stream = await response.Content.ReadAsStreamAsync(leave.Token);
            await stream.CopyToAsync(Stream.Null, leave.Token);
        });
        await Poll.UntilAsync(async () => (await SentencesPerSiloAsync()).Sum() - before >= 6, TimeSpan.FromSeconds(30), "the silos synthesise the first sentences");
        await leave.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => request);

        await Poll.UntilAsync(async () => await RunningOnSilosAsync() == 0
            && (await _frontend.HttpClient.ReadyAsync()).GetProperty("running").GetInt32() == 0,
            TimeSpan.FromSeconds(5), "every silo and the frontend stop working for the request that was left");
        var settled = await ClusterSilo.SettledSentencesAsync(_silos);
        // Not all of them: what was in flight (4 × lanes a request) and what the silos did until the cancellation reached them, which
        // on a starved CPU was 103 of 300 once.
        Assert.True(settled - before < count / 2, $"{settled - before} of {count} sentences were synthesised after the client left early");
    }
}

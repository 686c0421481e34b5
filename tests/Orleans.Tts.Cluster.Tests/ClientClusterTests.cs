using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Client;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>The embedded .NET client against two silo processes and a frontend: through the frontend's URL, and straight to the silos it finds in Orleans' membership table in Redis.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientClusterTests(TestClusters clusters) : IAsyncLifetime
{
    private string _clusterId = "";
    private SiloProcess[] _silos = [];
    private SiloProcess _frontend = null!;
    private readonly List<ServiceProvider> _providers = [];

    public async Task InitializeAsync()
    {
        _clusterId = await clusters.NewAsync();
        var longTexts = new Dictionary<string, string> { ["TTS_MAX_INPUT_CHARS"] = "40000" };
        (_silos, _frontend) = await ClusterSilo.StartWithFrontendAsync(_clusterId, "client", 2,
            siloExtra: new Dictionary<string, string>(longTexts) { ["TTS_GLOBAL_MAX_INFLIGHT"] = "8", ["TTS_CLIENT_MAX_SHARE"] = "1" }, frontendExtra: longTexts);
    }

    public async Task DisposeAsync()
    {
        foreach (var provider in _providers) await provider.DisposeAsync();
        await _frontend.DisposeAsync();
        foreach (var silo in _silos) await silo.DisposeAsync();
    }

    private ITtsClient Client(Action<TtsClientOptions> configure)
    {
        var provider = new ServiceCollection().AddTtsClient(configure).BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<ITtsClient>();
    }

    private ITtsClient ThroughFrontend() => Client(o => o.BaseAddress = _frontend.BaseAddress);


    private Task<long[]> SentencesPerSiloAsync() => ClusterSilo.SentencesPerSiloAsync(_silos);

    [Fact]
    public async Task The_client_synthesises_whole_and_streamed_speech_of_the_same_length()
    {
        var tts = ThroughFrontend();
        Assert.Contains(await tts.ListVoicesAsync(), v => v.Id == "espeak:en-us");
        var text = "The client asks the cluster. It answers with speech.";

        var whole = await tts.SynthesizeAsync(new SpeechOptions(text, ResponseFormat: "wav"));
        var header = SpeechStreams.WavHeader(whole);
        Assert.Equal(22050, header.SampleRate);
        var seconds = SpeechStreams.WavSamples(whole) / 22050.0;
        Assert.InRange(seconds, 1.5, 8.0);

        var streamed = new MemoryStream();
        long expectedOffset = 0;
        await foreach (var chunk in tts.StreamAsync(new SpeechOptions(text, ResponseFormat: "wav")))
        {
            Assert.Equal(expectedOffset, chunk.Offset);
            expectedOffset += chunk.Data.Length;
            streamed.Write(chunk.Data.Span);
        }
        // Two sentences; engine-host history moves a sentence by a few ms at most.
        Assert.True(Math.Abs(SpeechStreams.WavSamples(streamed.ToArray()) - SpeechStreams.WavSamples(whole)) < 3000,
            $"streamed {SpeechStreams.WavSamples(streamed.ToArray())} samples, whole {SpeechStreams.WavSamples(whole)}");
    }


    [Fact]
    public async Task Speakers_are_created_read_listed_updated_and_deleted_through_the_client()
    {
        var tts = ThroughFrontend();
        var id = "narrator-frontend";
        var created = await tts.CreateSpeakerAsync(new SpeakerSpec("en-us", Speed: 1.2, Pitch: 2), id);
        Assert.Equal(id, created.Id);
        Assert.Equal("espeak:en-us", created.BaseVoiceId);
        Assert.Equal(1.2, created.Speed);

        var conflict = await Assert.ThrowsAsync<TtsRequestException>(() => tts.CreateSpeakerAsync(new SpeakerSpec("en-us"), id));
        Assert.Equal(System.Net.HttpStatusCode.Conflict, conflict.Status);

        Assert.Equal(2, (await tts.GetSpeakerAsync(id))!.Pitch);
        Assert.Contains(await tts.ListSpeakersAsync(), s => s.Id == id);

        var updated = await tts.UpdateSpeakerAsync(id, new SpeakerSpec("en-us", Speed: 0.8));
        Assert.Equal(0.8, updated.Speed);
        Assert.True(updated.Version > created.Version, $"version {created.Version} → {updated.Version}");

        var audio = await tts.SynthesizeAsync(new SpeechOptions("Spoken by a speaker.", $"speaker:{id}", "wav"));
        Assert.True(SpeechStreams.WavSamples(audio) > 22050 / 2, "a speaker's voice speaks");

        var bad = await Assert.ThrowsAsync<TtsRequestException>(() => tts.UpdateSpeakerAsync(id, new SpeakerSpec("en-us", Speed: 9)));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, bad.Status);
        Assert.Contains("speed must be from", bad.Problem);

        Assert.True(await tts.DeleteSpeakerAsync(id));
        Assert.Null(await tts.GetSpeakerAsync(id));
        Assert.False(await tts.DeleteSpeakerAsync(id));
    }

    [Fact]
    public async Task Cancelling_a_stream_mid_way_stops_the_silos_work_for_it()
    {
        var tts = ThroughFrontend();
        using var cancel = new CancellationTokenSource();
        var before = (await SentencesPerSiloAsync()).Sum();
        var chunks = 0;
        var reading = Task.Run(async () =>
        {
            await foreach (var _ in tts.StreamAsync(new SpeechOptions(Http.Sentences("Cancelled", 300), ResponseFormat: "wav"), cancel.Token)) Interlocked.Increment(ref chunks);
        });
        // Mid-way: audio has reached the client and the silos are past the first sentences (either can come first).
        await Poll.UntilAsync(async () => Volatile.Read(ref chunks) > 0 && (await SentencesPerSiloAsync()).Sum() - before >= 4,
            TimeSpan.FromSeconds(30), "the client receives audio and the silos synthesise the first sentences");
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => reading);

        await Poll.UntilAsync(async () =>
            (await Task.WhenAll(_silos.Select(async s => (await s.HttpClient.ReadyAsync()).GetProperty("running").GetInt32()))).Sum() == 0,
            TimeSpan.FromSeconds(5), "no silo works for the cancelled stream any more");
        var settled = await ClusterSilo.SettledSentencesAsync(_silos);
        Assert.True(settled - before < 100, $"{settled - before} of 300 sentences were synthesised for a stream cancelled early");
    }

}

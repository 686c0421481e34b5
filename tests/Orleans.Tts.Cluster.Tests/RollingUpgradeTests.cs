using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Tts.Frontend.Remote;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// A rolling upgrade half done, across real processes: frontends of this version in front of a silo of the previous version
/// (which has no <c>/internal/v2/sentences</c>; played by a real silo behind <see cref="OldSiloProxy"/>), alone and next to
/// a silo of this version; and a frontend of the previous version (only whole requests with a range) in front of a new silo.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class RollingUpgradeTests(PostgresServer postgres) : IAsyncLifetime
{
    // No result cache anywhere (a size of 0 keeps nothing), so every request below is synthesised on the path it names and
    // the reference audio from the new silo's own API cannot answer the frontend's request.
    private static readonly Dictionary<string, string> NoCache = new() { ["TTS_CACHE_MEMORY_MB"] = "0", ["TTS_CACHE_PG_MB"] = "0" };

    // eSpeak carries a little prosodic state between utterances: the same sentence may differ by a few tens of milliseconds
    // on another engine host (up to ~80 ms in a 6 s sentence), never by a word (~300 ms = 6,600 samples at 22,050 Hz); a
    // short sentence here is ~1.2 s and a long one ~5.7 s, so one out of place is off by 100,000 samples.
    private const int SentenceTolerance = 1500;

    private static int ToleranceFor(int samples) => SentenceTolerance + samples / 50;

    private readonly List<IAsyncDisposable> _owned = [];
    private string _db = null!;

    public async Task InitializeAsync() => _db = await postgres.CreateDatabaseAsync();

    public async Task DisposeAsync()
    {
        foreach (var owned in Enumerable.Reverse(_owned)) await owned.DisposeAsync();
    }

    private async Task<T> Own<T>(Task<T> starting) where T : IAsyncDisposable
    {
        var started = await starting;
        _owned.Add(started);
        return started;
    }

    private static Dictionary<string, string> With(params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string>(NoCache);
        foreach (var (k, v) in settings) all[k] = v;
        return all;
    }

    /// <summary>Short and long sentences alternate: a sentence lost, repeated or out of place shows as a wrong length at its place.</summary>
    private static string Alternating(string seed, int count) => string.Join(" ", Enumerable.Range(0, count).Select(i => i % 2 == 0
        ? $"{seed} {i}."
        : $"{seed} sentence {i} is a good deal longer than the short ones around it, by very many words indeed."));

    /// <summary>The WAV deltas of an SSE stream, each as its count of samples (the first one less its 44-byte header), and the header.</summary>
    private static async Task<(int[] Samples, (uint Riff, uint Data, int Rate) Header)> SseSentencesAsync(HttpClient client, string text)
    {
        using var response = await client.SpeakStreamingAsync(new { input = text, voice = "espeak:en-us", response_format = "wav", stream_format = "sse" });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        var events = await response.ReadEventsAsync();
        Assert.Equal("speech.audio.done", events[^1].GetProperty("type").GetString());
        var deltas = events.SkipLast(1).Select(e => Convert.FromBase64String(e.GetProperty("audio").GetString()!)).ToList();
        return (deltas.Select((d, i) => (d.Length - (i == 0 ? 44 : 0)) / 2).ToArray(), SpeechStreams.WavHeader(deltas[0]));
    }

    private static async Task<byte[]> WholeWavAsync(HttpClient client, string text)
    {
        var response = await client.SpeakAsync(new { input = text, voice = "espeak:en-us", response_format = "wav" });
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        return await response.Content.ReadAsByteArrayAsync();
    }

    private static void SameSentences(int[] expected, int[] actual, string path)
    {
        Assert.True(expected.Length == actual.Length, $"{path}: {actual.Length} sentences, {expected.Length} through the new silo");
        for (var i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= ToleranceFor(expected[i]),
                $"{path}: sentence {i} has {actual[i]} samples, {expected[i]} through the new silo ({string.Join(", ", actual)} vs {string.Join(", ", expected)})");
    }

    private static string Detail(System.Text.Json.JsonElement ready, string name) =>
        ready.GetProperty("details").TryGetProperty(name, out var value) ? value.GetString() ?? "" : "";

    [Fact]
    public async Task A_new_frontend_before_an_old_silo_with_or_without_new_ones_returns_every_sentence_in_order_whole_and_streamed_and_shows_the_fallback()
    {
        var proxy = await Own(OldSiloProxy.StartAsync());
        var old = await Own(SiloProcess.StartAsync(ClusterSilo.Options("oldsilo", _db, With(("TTS_INTERNAL_ADVERTISE_URL", proxy.Address.ToString().TrimEnd('/'))))
            with { InternalPort = true }));
        proxy.Target = old.InternalAddress;
        var fresh = await Own(SiloProcess.StartAsync(ClusterSilo.Options("newsilo", _db, NoCache) with { InternalPort = true }));
        var frontend = await Own(SiloProcess.StartAsync(ClusterSilo.Options("upgradefront", _db, With(
            ("TTS_SILOS_REFRESH_MS", "100"), ("TTS_GLOBAL_MAX_INFLIGHT", "8"), ("TTS_CLIENT_MAX_SHARE", "1"))) with { Arguments = ["--role", "frontend"] }));
        await Poll.UntilAsync(async () => Detail(await frontend.HttpClient.ReadyAsync(), "frontend.silos").Split(',').Order().SequenceEqual(["newsilo", "oldsilo"]),
            TimeSpan.FromSeconds(10), "the frontend sees the old and the new silo");

        // References: the new silo's own API (it plans and synthesises the texts itself).
        var mixedText = Alternating("Mixed", 12);
        var oldOnlyText = Alternating("Old", 6);
        var wholeText = Http.Sentences("Upgrade", 6);
        var (reference, _) = await SseSentencesAsync(fresh.HttpClient, mixedText);
        var (oldOnlyReference, _) = await SseSentencesAsync(fresh.HttpClient, oldOnlyText);
        var wholeReference = SpeechStreams.WavSamples(await WholeWavAsync(fresh.HttpClient, wholeText));

        // Old and new silos together: the sentences spread over both, the old one asked the previous version's way.
        var (oldSentences, newSentences) = ((await old.HttpClient.ReadyAsync()).SentencesSynthesized(), (await fresh.HttpClient.ReadyAsync()).SentencesSynthesized());
        var oldPlanned = (await old.HttpClient.ReadyAsync()).TextsPlanned();
        var mark = frontend.OutputMark;
        var (mixed, header) = await SseSentencesAsync(frontend.HttpClient, mixedText);
        Assert.Equal((uint.MaxValue, uint.MaxValue, 22050), header);
        SameSentences(reference, mixed, "old and new silos");
        var (oldShare, newShare) = ((await old.HttpClient.ReadyAsync()).SentencesSynthesized() - oldSentences, (await fresh.HttpClient.ReadyAsync()).SentencesSynthesized() - newSentences);
        Assert.True(oldShare > 0 && newShare > 0, $"both silos synthesised sentences: old {oldShare}, new {newShare}; the proxy saw {proxy.Summary}"
            + $"{Environment.NewLine}{frontend.FormatOutput(mark)}{Environment.NewLine}{old.FormatOutput()}");
        Assert.Equal(12, oldShare + newShare);

        // The fallback is visible: the 404 to the planned request, the old silo's v1 requests (each of them the whole text,
        // which the old silo plans again), the frontend's log line and its /ready details.
        Assert.True(proxy.Requests(SentenceFrames.PlannedPath) >= 1, "the frontend tried the planned-sentence endpoint first");
        var v1 = proxy.Requests(SentenceFrames.Path);
        Assert.Equal(oldShare, v1);
        Assert.Equal(oldPlanned + v1, (await old.HttpClient.ReadyAsync()).TextsPlanned());
        Assert.Contains("Silo oldsilo has no planned-sentences endpoint; sending it whole requests", frontend.OutputSince(mark));
        var ready = await frontend.HttpClient.ReadyAsync();
        Assert.Equal("oldsilo", Detail(ready, "frontend.v1Silos"));
        Assert.True(int.Parse(Detail(ready, "frontend.v1Fallbacks"), System.Globalization.CultureInfo.InvariantCulture) >= 1);

        var wholeMixed = SpeechStreams.WavSamples(await WholeWavAsync(frontend.HttpClient, wholeText));
        Assert.True(Math.Abs(wholeMixed - wholeReference) <= 6 * SentenceTolerance + wholeReference / 50, $"whole file through old and new silos: {wholeMixed} samples, {wholeReference} through the new silo");

        // The new silo goes (it is being replaced): the frontend is left with the old silo alone.
        fresh.Kill();
        await Poll.UntilAsync(async () => Detail(await frontend.HttpClient.ReadyAsync(), "frontend.silos") == "oldsilo",
            TimeSpan.FromSeconds(15), "the frontend lists only the old silo");
        var v1Before = proxy.Requests(SentenceFrames.Path);
        var (oldOnly, _) = await SseSentencesAsync(frontend.HttpClient, oldOnlyText);
        SameSentences(oldOnlyReference, oldOnly, "the old silo alone");

        using var stream = await frontend.HttpClient.SpeakStreamingAsync(new { input = wholeText, voice = "espeak:en-us", response_format = "wav", stream_format = "audio" });
        Assert.Equal(HttpStatusCode.OK, stream.StatusCode);
        var streamed = await stream.Content.ReadAsByteArrayAsync();
        Assert.Equal((uint.MaxValue, uint.MaxValue, 22050), SpeechStreams.WavHeader(streamed));
        var wholeOld = SpeechStreams.WavSamples(await WholeWavAsync(frontend.HttpClient, wholeText));
        foreach (var (samples, what) in new[] { (SpeechStreams.WavSamples(streamed), "audio stream"), (wholeOld, "whole file") })
            Assert.True(Math.Abs(samples - wholeReference) <= 6 * SentenceTolerance + wholeReference / 50, $"{what} through the old silo alone: {samples} samples, {wholeReference} through the new silo");
        Assert.Equal(v1Before + 6 + 6 + 6, proxy.Requests(SentenceFrames.Path));
    }

    /// <summary>A frontend of the previous version plans nothing: it sends each silo the whole request and one sentence's index.</summary>
    [Fact]
    public async Task A_previous_frontend_that_sends_whole_requests_by_range_gets_every_sentence_from_a_new_silo()
    {
        var silo = await Own(SiloProcess.StartAsync(ClusterSilo.Options("rangesilo", _db, NoCache) with { InternalPort = true }));
        var text = Alternating("Ranged", 8);
        var (reference, _) = await SseSentencesAsync(silo.HttpClient, text);
        var plannedBefore = (await silo.HttpClient.ReadyAsync()).TextsPlanned();

        using var previous = new RemoteSynthesisWorker(new OneSilo(new SiloGateway("rangesilo", silo.InternalAddress!.ToString(), 1, 0, 0)),
            new RemoteWorkerOptions(), NullLogger<RemoteSynthesisWorker>.Instance, planner: null);
        var clips = new List<AudioClip>();
        await foreach (var clip in previous.StreamAsync(new SynthesisRequest(text, "espeak:en-us"))) clips.Add(clip);

        SameSentences(reference, clips.Select(c => c.Samples.Length).ToArray(), "whole requests by range");
        Assert.All(clips, c => Assert.Equal(22050, c.SampleRate));
        // Every sentence was asked the previous version's way: the silo planned the whole text for each of them.
        Assert.Equal(plannedBefore + 8, (await silo.HttpClient.ReadyAsync()).TextsPlanned());
        Assert.Equal("0", previous.Status.Detail["frontend.v1Fallbacks"]);
    }

    private sealed class OneSilo(SiloGateway silo) : ISiloDirectory
    {
        public IReadOnlyList<SiloGateway> Gateways { get; } = [silo];
        public DateTimeOffset? RefreshedAt { get; } = DateTimeOffset.UtcNow;
        public Task RefreshAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}

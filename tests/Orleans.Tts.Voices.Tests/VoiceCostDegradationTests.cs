using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orleans.Tts.Testing;
using Orleans.Tts.Voices.Tests.Fixtures;

namespace Orleans.Tts.Voices.Tests;

/// <summary>Under saturation, long text for an expensive (neural) voice is served by its cheaper eSpeak fallback; short text keeps its voice.</summary>
[Collection(VoicesCollection.Name)]
public sealed class VoiceCostDegradationTests(VoiceModels models) : IDisposable
{
    private readonly OnnxSilo _silo = new(models, OnnxSilo.Standard, new Dictionary<string, string>
    {
        ["TTS_GLOBAL_MAX_INFLIGHT"] = "1", ["TTS_DEGRADE_QUEUE"] = "1", ["TTS_LONG_TEXT_CHARS"] = "200", ["TTS_CLIENT_MAX_SHARE"] = "1",
    });

    public void Dispose() => _silo.Dispose();

    private static string Sentences(string prefix, int count) =>
        string.Join(" ", Enumerable.Range(1, count).Select(i => $"{prefix} sentence number {i} is spoken here in full."));

    private static Task<HttpResponseMessage> SpeakAsync(HttpClient client, string voice, string input, string key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech")
        {
            Content = JsonContent.Create(new { input, voice, response_format = "wav", max_wait_ms = 30000 }),
        };
        request.Headers.Add("X-Api-Key", key);
        return client.SendAsync(request);
    }

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.Single() : "";

    [Theory]
    [InlineData("kokoro:af_bella")]
    [InlineData("piper:en_US-test-medium")]
    public async Task Long_text_for_a_neural_voice_under_saturation_is_spoken_by_its_espeak_fallback_and_short_text_keeps_its_voice(string voice)
    {
        var client = _silo.CreateClient();
        var blockers = Enumerable.Range(0, 4).Select(i => SpeakAsync(client, "espeak:en-us", Sentences($"Blocker {i}", 20), $"blocker-{i}")).ToList();
        await Poll.UntilAsync(async () => (await client.GetFromJsonAsync<JsonElement>("/cluster")).GetProperty("admission").GetProperty("queuedHere").GetInt32() >= 2,
            TimeSpan.FromSeconds(30), "requests queued for the one permit");

        var longText = Sentences("Long request", 6);
        Assert.True(longText.Length > 200);
        var longOne = SpeakAsync(client, voice, longText, "long");
        var shortOne = SpeakAsync(client, voice, "Short stays.", "short");
        var (l, s) = (await longOne, await shortOne);

        Assert.Equal(HttpStatusCode.OK, l.StatusCode);
        Assert.Equal("fallback-voice", Header(l, "X-Tts-Degraded"));
        Assert.Equal("espeak:en-us", Header(l, "X-Tts-Voice"));
        Assert.True(Orleans.Tts.Api.Tests.Wav.Parse(await l.Content.ReadAsByteArrayAsync()).Seconds > 5, "the fallback spoke the whole long text");
        Assert.Equal(HttpStatusCode.OK, s.StatusCode);
        Assert.Equal("", Header(s, "X-Tts-Degraded"));
        Assert.Equal(voice, Header(s, "X-Tts-Voice"));
        foreach (var b in await Task.WhenAll(blockers)) Assert.Equal(HttpStatusCode.OK, b.StatusCode);
    }
}

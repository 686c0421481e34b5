using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Orleans.Tts.Frontend.Auth;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// A frontend and a silo configured with the same API keys, as the Helm chart mounts them in both tiers: keys are
/// checked at the public API; the frontend → silo HTTP/2 hop carries none; the per-client share counts a key's name.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class AuthClusterTests(TestClusters clusters) : IAsyncLifetime
{
    private readonly string _alpha = ApiKeys.Mint(), _beta = ApiKeys.Mint(), _ops = ApiKeys.Mint();
    private SiloProcess _silo = null!;
    private SiloProcess _frontend = null!;

    public async Task InitializeAsync()
    {
        var db = await clusters.NewAsync();
        var keys = string.Join(';', ApiKeys.HashLine("alpha", ApiKeyRole.Client, _alpha), ApiKeys.HashLine("beta", ApiKeyRole.Client, _beta),
            ApiKeys.HashLine("ops", ApiKeyRole.Admin, _ops));
        _silo = await SiloProcess.StartAsync(ClusterSilo.Options("authsilo", db, new Dictionary<string, string>
        {
            ["TTS_API_KEYS"] = keys,
            ["TTS_WORKERS"] = "2", // one per permit: a slowly read stream keeps its worker
        }));
        _frontend = await SiloProcess.StartAsync(ClusterSilo.Options("authfrontend", db, new Dictionary<string, string>
        {
            ["TTS_SILOS_REFRESH_MS"] = "100", ["TTS_GLOBAL_MAX_INFLIGHT"] = "2", ["TTS_CLIENT_MAX_SHARE"] = "0.5", ["TTS_API_KEYS"] = keys,
        }) with { Arguments = ["--role", "frontend"] });
        await Poll.UntilAsync(async () =>
            (await _frontend.HttpClient.ReadyAsync()).GetProperty("details").TryGetProperty("frontend.silos", out var s) && s.GetString()!.Length > 0,
            TimeSpan.FromSeconds(10), "the frontend sees the silo");
    }

    public async Task DisposeAsync()
    {
        await _frontend.DisposeAsync();
        await _silo.DisposeAsync();
    }

    private static HttpRequestMessage Speech(object body, string? key)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech") { Content = JsonContent.Create(body) };
        if (key is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return request;
    }

    [Fact]
    public async Task Through_the_frontend_only_key_holders_get_speech_synthesised_on_the_silo()
    {
        var anonymous = await _frontend.HttpClient.SendAsync(Speech(new { input = "No key.", voice = "alloy", response_format = "wav" }, null));
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Contains("Bearer", anonymous.Headers.WwwAuthenticate.ToString());

        var before = (await _silo.HttpClient.ReadyAsync()).SentencesSynthesized();
        var spoken = await _frontend.HttpClient.SendAsync(Speech(new { input = "With a key, through the frontend.", voice = "alloy", response_format = "wav" }, _alpha));
        Assert.True(spoken.StatusCode == HttpStatusCode.OK, $"{(int)spoken.StatusCode}: {await spoken.Content.ReadAsStringAsync()}");
        Assert.Equal(22050, SpeechStreams.WavHeader(await spoken.Content.ReadAsByteArrayAsync()).SampleRate);
        Assert.True((await _silo.HttpClient.ReadyAsync()).SentencesSynthesized() > before, "the silo synthesised it");

        // The silo's own public port checks the same keys.
        Assert.Equal(HttpStatusCode.Unauthorized, (await _silo.HttpClient.SendAsync(Speech(new { input = "Direct.", voice = "alloy" }, null))).StatusCode);
    }

    [Fact]
    public async Task Admin_routes_need_the_admin_key_on_the_frontend_and_on_the_silo()
    {
        async Task<HttpStatusCode> Reload(SiloProcess process, string key)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/admin/models/reload");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            return (await process.HttpClient.SendAsync(request)).StatusCode;
        }
        Assert.Equal(HttpStatusCode.Forbidden, await Reload(_frontend, _alpha));
        Assert.Equal(HttpStatusCode.OK, await Reload(_frontend, _ops)); // authorised; a frontend reloads the silos behind it
        Assert.Equal(HttpStatusCode.Forbidden, await Reload(_silo, _beta));
        Assert.Equal(HttpStatusCode.OK, await Reload(_silo, _ops));
    }

    [Fact]
    public async Task The_per_client_share_counts_a_key_by_its_name_so_one_key_cannot_take_every_permit()
    {
        // alpha holds one of the two permits with a long stream it reads slowly.
        using var held = await _frontend.HttpClient.SendAsync(
            Speech(new { input = Http.Sentences("Held", 60), voice = "alloy", response_format = "wav", stream_format = "audio" }, _alpha),
            HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        await using var body = await held.Content.ReadAsStreamAsync();
        await body.ReadExactlyAsync(new byte[4096]);

        // A second alpha request is refused at once: one client may hold 1 of the 2 permits.
        var second = await _frontend.HttpClient.SendAsync(Speech(new { input = "Alpha again.", voice = "alloy", response_format = "wav", max_wait_ms = 0 }, _alpha));
        var text = await second.Content.ReadAsStringAsync();
        Assert.True(second.StatusCode == HttpStatusCode.ServiceUnavailable, $"{(int)second.StatusCode}: {text}");
        Assert.Contains("This client already holds 1 of the 1 permits", JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString());
        Assert.NotNull(second.Headers.RetryAfter);
        Assert.DoesNotContain(_alpha, text);

        // Another key is another client: it gets the other permit.
        var beta = await _frontend.HttpClient.SendAsync(Speech(new { input = "Beta is its own client.", voice = "alloy", response_format = "wav", max_wait_ms = 30000 }, _beta));
        Assert.True(beta.StatusCode == HttpStatusCode.OK, $"{(int)beta.StatusCode}: {await beta.Content.ReadAsStringAsync()}");
    }
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Client;
using Orleans.Tts.Testing;

namespace Orleans.Tts.Api.Tests.Auth;

public sealed class AuthTests(AuthSiloFactory factory) : IClassFixture<AuthSiloFactory>
{
    private static readonly object Speech = new { input = "Only key holders may speak.", voice = "espeak:en-us", response_format = "wav" };

    private void AssertNoKeyIn(string text)
    {
        foreach (var key in new[] { factory.ClientKey, factory.AdminKey, factory.UnknownKey })
        {
            Assert.DoesNotContain(key, text, StringComparison.Ordinal);
            Assert.DoesNotContain(key[4..20], text, StringComparison.Ordinal);
        }
    }

    private async Task<JsonElement> AssertUnauthorizedAsync(HttpResponseMessage response, string error, params string[] detail)
    {
        var problem = await response.AssertProblemAsync(401, detail);
        var challenge = Assert.Single(response.Headers.WwwAuthenticate);
        Assert.Equal("Bearer", challenge.Scheme);
        Assert.Contains("realm=\"orleans-tts\"", challenge.Parameter);
        if (error.Length > 0) Assert.Contains($"error=\"{error}\"", challenge.Parameter);
        else Assert.DoesNotContain("error=", challenge.Parameter);
        AssertNoKeyIn(problem.GetRawText());
        return problem;
    }

    [Fact]
    public async Task Synthesis_without_a_key_is_401_with_a_bearer_challenge_saying_how_to_authenticate()
    {
        var response = await factory.ClientWith(null).SpeakAsync(Speech);
        await AssertUnauthorizedAsync(response, "", "needs an API key", "Authorization: Bearer <key>", "X-Api-Key");
    }

    [Fact]
    public async Task Synthesis_with_a_client_key_as_bearer_or_x_api_key_returns_speech()
    {
        foreach (var client in new[] { factory.ClientWith(factory.ClientKey), WithHeader("X-Api-Key", factory.ClientKey) })
        {
            var response = await client.SpeakAsync(Speech);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var wav = Wav.Parse(await response.Content.ReadAsByteArrayAsync());
            Assert.InRange(wav.Seconds, 1, 6);
            Assert.True(wav.RmsDbfs > -35, $"Too quiet: {wav.RmsDbfs:0.0} dBFS");
        }
    }

    [Fact]
    public async Task An_unknown_key_is_401_invalid_token_everywhere_and_never_treated_as_anonymous()
    {
        var client = factory.ClientWith(factory.UnknownKey);
        await AssertUnauthorizedAsync(await client.SpeakAsync(Speech), "invalid_token", "not valid", "not used as anonymous");
        await AssertUnauthorizedAsync(await client.GetAsync("/v1/voices"), "invalid_token", "not valid");
        // Even where no key is needed, a wrong key is refused rather than ignored.
        await AssertUnauthorizedAsync(await client.GetAsync("/health"), "invalid_token", "not valid");
        await AssertUnauthorizedAsync(await client.PostAsync("/admin/models/reload", null), "invalid_token", "not valid");
    }

    [Theory]
    [InlineData("Authorization", "Basic dXNlcjpwYXNz", "must be 'Bearer <key>'")]
    [InlineData("Authorization", "Bearer", "must be 'Bearer <key>'")]
    [InlineData("X-Api-Key", " ", "empty")]
    public async Task Malformed_credentials_are_401_saying_what_form_is_accepted(string header, string value, string detail)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.TryAddWithoutValidation(header, value);
        await AssertUnauthorizedAsync(await client.GetAsync("/v1/voices"), "invalid_token", detail);
    }

    [Fact]
    public async Task Two_different_keys_in_one_request_are_401_and_neither_is_used()
    {
        var client = factory.ClientWith(factory.AdminKey);
        client.DefaultRequestHeaders.Add("X-Api-Key", factory.ClientKey);
        await AssertUnauthorizedAsync(await client.PostAsync("/admin/models/reload", null), "invalid_token", "different keys");
    }

    [Theory]
    [InlineData("POST", "/admin/models/reload")]
    [InlineData("POST", "/ADMIN/Models/Reload")]
    [InlineData("POST", "/admin/models/reload/")]
    [InlineData("POST", "/v1/speakers")]
    [InlineData("PUT", "/v1/speakers/narrator")]
    [InlineData("DELETE", "/v1/speakers/narrator")]
    [InlineData("PUT", "/V1/Speakers/narrator")]
    public async Task A_client_key_on_an_admin_route_is_403_naming_the_role_needed(string method, string path)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path) { Content = JsonContent.Create(new { voice = "espeak:en-us" }) };
        var response = await factory.ClientWith(factory.ClientKey).SendAsync(request);
        var problem = await response.AssertProblemAsync(403, "alice", "role 'client'", "needs a key with the role 'admin'");
        Assert.Equal("admin", problem.GetProperty("requiredRole").GetString());
        AssertNoKeyIn(problem.GetRawText());
    }

    [Fact]
    public async Task Admin_routes_without_any_key_are_401_saying_an_admin_key_is_needed()
    {
        var response = await factory.ClientWith(null).PostAsync("/admin/models/reload", null);
        await AssertUnauthorizedAsync(response, "", "needs an admin API key");
    }

    [Fact]
    public async Task The_admin_key_reloads_models_and_writes_speakers_that_client_keys_can_read_and_use()
    {
        var admin = factory.ClientWith(factory.AdminKey);
        var reload = await admin.PostAsync("/admin/models/reload", null);
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        Assert.True(JsonDocument.Parse(await reload.Content.ReadAsStringAsync()).RootElement.TryGetProperty("directory", out _));

        var created = await admin.PostAsJsonAsync("/v1/speakers", new { id = "auth-narrator", voice = "espeak:en-gb", speed = 1.2 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var client = factory.ClientWith(factory.ClientKey);
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/v1/speakers/auth-narrator")).StatusCode);
        var spoken = await client.SpeakAsync(new { input = "A speaker made by the admin.", voice = "speaker:auth-narrator", response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, spoken.StatusCode);
        Assert.True(Wav.Parse(await spoken.Content.ReadAsByteArrayAsync()).Seconds > 0.5);

        Assert.Equal(HttpStatusCode.Forbidden, (await client.DeleteAsync("/v1/speakers/auth-narrator")).StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync("/v1/speakers/auth-narrator")).StatusCode);
    }

    [Fact]
    public async Task A_job_belongs_to_the_key_that_submitted_it_and_another_client_key_can_neither_see_nor_cancel_it()
    {
        var alice = factory.ClientWith(factory.ClientKey);
        var bob = factory.ClientWith(factory.OtherClientKey);
        var submitted = await alice.PostAsJsonAsync("/v1/jobs", new { input = "A job only its owner may read. It has two sentences.", voice = "espeak:en-us", response_format = "wav" });
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var id = JsonDocument.Parse(await submitted.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;

        foreach (var path in new[] { $"/v1/jobs/{id}", $"/v1/jobs/{id}/events", $"/v1/jobs/{id}/audio", $"/v1/jobs/{id}/captions.vtt", $"/v1/jobs/{id}/captions.srt" })
        {
            var seen = await bob.GetAsync(path);
            Assert.Equal(HttpStatusCode.NotFound, seen.StatusCode);
            Assert.Equal("application/problem+json", seen.Content.Headers.ContentType?.MediaType);
            Assert.Contains($"There is no job '{id}'", await seen.Content.ReadAsStringAsync());
        }
        Assert.Equal(HttpStatusCode.NotFound, (await bob.DeleteAsync($"/v1/jobs/{id}")).StatusCode);

        // Bob's DELETE cancelled nothing: the job finishes for its owner, and an admin key may look at it too.
        var done = await Poll.UntilAsync(async () =>
        {
            var state = JsonDocument.Parse(await alice.GetStringAsync($"/v1/jobs/{id}")).RootElement.GetProperty("state").GetString();
            return state is "queued" or "running" ? null : state;
        }, TimeSpan.FromSeconds(30), "the job finished");
        Assert.Equal("succeeded", done);
        Assert.Equal(HttpStatusCode.OK, (await factory.ClientWith(factory.AdminKey).GetAsync($"/v1/jobs/{id}")).StatusCode);
        var audio = await alice.GetAsync($"/v1/jobs/{id}/audio");
        Assert.Equal(HttpStatusCode.OK, audio.StatusCode);
        Assert.True(Wav.Parse(await audio.Content.ReadAsByteArrayAsync()).Seconds > 1.0);
        Assert.Equal(HttpStatusCode.OK, (await alice.GetAsync($"/v1/jobs/{id}/captions.vtt")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await bob.GetAsync($"/v1/jobs/{id}/captions.srt")).StatusCode);
    }

    [Fact]
    public async Task Probes_metrics_openapi_and_the_webui_page_stay_open_and_ready_says_authentication_is_on()
    {
        var anonymous = factory.ClientWith(null);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/openapi/v1.json")).StatusCode);
        var metrics = await anonymous.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
        AssertNoKeyIn(await metrics.Content.ReadAsStringAsync());
        var ready = JsonDocument.Parse(await anonymous.GetStringAsync("/ready")).RootElement;
        var auth = ready.GetProperty("details").GetProperty("auth").GetString()!;
        Assert.StartsWith("on: 3 API keys", auth);
        Assert.Contains("anonymous synthesis refused", auth);
    }

    [Fact]
    public async Task Rejections_are_counted_in_metrics_by_route_without_any_key()
    {
        await factory.ClientWith(factory.UnknownKey).GetAsync("/v1/voices");
        var text = await factory.ClientWith(null).GetStringAsync("/metrics");
        Assert.Contains("status=\"401\"", text);
        AssertNoKeyIn(text);
    }

    [Fact]
    public async Task The_dotnet_client_sends_its_api_key_as_bearer_and_without_one_gets_the_401_problem()
    {
        ITtsClient Client(string? key)
        {
            var services = new ServiceCollection();
            services.AddTtsClient(o => { o.BaseAddress = new Uri("http://localhost/"); o.ApiKey = key; });
            services.AddHttpClient<ITtsClient, TtsClient>().ConfigurePrimaryHttpMessageHandler(() => factory.Server.CreateHandler());
            return services.BuildServiceProvider().GetRequiredService<ITtsClient>();
        }

        var audio = await Client(factory.ClientKey).SynthesizeAsync(new SpeechOptions("The client carries its key."));
        Assert.True(Wav.Parse(audio).Seconds > 0.5);
        var voices = await Client(factory.ClientKey).ListVoicesAsync();
        Assert.Contains(voices, v => v.Id == "espeak:en-us");

        var refused = await Assert.ThrowsAsync<TtsRequestException>(() => Client(null).SynthesizeAsync(new SpeechOptions("No key.")));
        Assert.Equal(HttpStatusCode.Unauthorized, refused.Status);
        Assert.Contains("needs an API key", refused.Problem);
        var wrong = await Assert.ThrowsAsync<TtsRequestException>(() => Client(factory.UnknownKey).SynthesizeAsync(new SpeechOptions("Wrong key.")));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);
        AssertNoKeyIn(wrong.Message);
    }

    private HttpClient WithHeader(string name, string value)
    {
        var client = factory.CreateClient();
        client.DefaultRequestHeaders.Add(name, value);
        return client;
    }
}

public sealed class OptionalKeyTests(OptionalKeySiloFactory factory) : IClassFixture<OptionalKeySiloFactory>
{
    [Fact]
    public async Task With_keys_optional_anonymous_synthesis_works_but_admin_routes_and_wrong_keys_are_still_refused()
    {
        var anonymous = factory.ClientWith(null);
        var spoken = await anonymous.SpeakAsync(new { input = "Anyone may speak.", voice = "espeak:en-us", response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, spoken.StatusCode);
        Assert.True(Wav.Parse(await spoken.Content.ReadAsByteArrayAsync()).Seconds > 0.5);

        await (await anonymous.PostAsync("/admin/models/reload", null)).AssertProblemAsync(401, "admin API key");
        await (await anonymous.PostAsJsonAsync("/v1/speakers", new { voice = "espeak:en-us" })).AssertProblemAsync(401, "admin API key");
        await (await factory.ClientWith(factory.UnknownKey).SpeakAsync(new { input = "Wrong key.", voice = "espeak:en-us" })).AssertProblemAsync(401, "not valid");

        var ready = JsonDocument.Parse(await anonymous.GetStringAsync("/ready")).RootElement;
        Assert.Contains("anonymous synthesis allowed", ready.GetProperty("details").GetProperty("auth").GetString());
    }
}

[Collection(SiloCollection.Name)]
public sealed class OpenModeTests(SiloFactory factory)
{
    [Fact]
    public async Task Without_keys_the_embedded_default_stays_open_and_ready_says_authentication_is_off()
    {
        var client = factory.CreateClient();
        var ready = JsonDocument.Parse(await client.GetStringAsync("/ready")).RootElement;
        Assert.StartsWith("off:", ready.GetProperty("details").GetProperty("auth").GetString());
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsync("/admin/models/reload", null)).StatusCode);
        // With authentication off a sent key is only a client label: it is neither checked nor refused.
        client.DefaultRequestHeaders.Add("X-Api-Key", "any-label");
        var spoken = await client.SpeakAsync(new { input = "Open by default.", voice = "espeak:en-us", response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, spoken.StatusCode);
    }
}

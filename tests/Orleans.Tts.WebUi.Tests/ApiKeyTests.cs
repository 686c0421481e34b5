using Microsoft.Playwright;
using Orleans.Tts.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Orleans.Tts.WebUi.Tests;

[Collection(WebUiCollection.Name)]
public sealed class ApiKeyTests(SiloFixture silo, ChromiumFixture chromium, ITestOutputHelper output)
    : WebUiPage(silo, chromium, output)
{
    private const string Key = "tts_webui-test-key";

    [Fact]
    public async Task A_401_shows_the_key_field_and_the_entered_key_is_sent_as_bearer_for_voices_and_synthesis()
    {
        // The silo under test has no keys, so a service that requires one is played by the route: 401 without the key.
        var speechAuthorization = new List<string?>();
        await Page.RouteAsync("**/v1/voices", route =>
            route.Request.Headers.GetValueOrDefault("authorization") == $"Bearer {Key}"
                ? route.ContinueAsync()
                : route.FulfillAsync(new()
                {
                    Status = 401,
                    ContentType = "application/problem+json",
                    Headers = new Dictionary<string, string> { ["WWW-Authenticate"] = "Bearer realm=\"orleans-tts\"" },
                    Body = """{"title":"API key required","status":401,"detail":"This service needs an API key: send it as 'Authorization: Bearer <key>'."}""",
                }));
        await Page.RouteAsync("**/v1/audio/speech", route =>
        {
            lock (speechAuthorization) speechAuthorization.Add(route.Request.Headers.GetValueOrDefault("authorization"));
            return route.ContinueAsync();
        });

        await Page.GotoAsync("/");
        var keyField = Page.Locator("#api-key");
        await Expect(keyField).ToBeVisibleAsync();
        await Expect(Error).ToContainTextAsync("API key required");
        await Expect(SynthesizeButton).ToBeDisabledAsync();

        await keyField.FillAsync(Key);
        await keyField.DispatchEventAsync("change");
        await Page.WaitForFunctionAsync("() => document.querySelectorAll('#voice option[value]:not([value=\"\"])').length > 0");
        await Expect(SynthesizeButton).ToBeEnabledAsync();

        await Text.FillAsync("The key travels as a bearer token.");
        await SynthesizeButton.ClickAsync();
        var player = await WaitForPlayerAsync();
        Assert.True(player.Duration > 0.5, $"duration {player.Duration}");
        lock (speechAuthorization) Assert.Equal([$"Bearer {Key}"], speechAuthorization);
        Assert.Equal(Key, await Page.EvaluateAsync<string>("() => sessionStorage.getItem('tts-api-key')"));
    }

    [Fact]
    public async Task Without_a_401_the_key_field_stays_hidden()
    {
        await OpenAsync();
        await Expect(Page.Locator("#key-row")).ToBeHiddenAsync();
    }
}

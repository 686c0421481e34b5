using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Playwright;
using Orleans.Tts.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Orleans.Tts.WebUi.Tests;

[Collection(WebUiCollection.Name)]
public sealed class WebUiTests(SiloFixture silo, ChromiumFixture chromium, ITestOutputHelper output)
    : WebUiPage(silo, chromium, output)
{
    private const int MaxInputLength = 4096;

    [Fact]
    public async Task Page_loads_with_the_voice_picker_filled_from_the_api()
    {
        await OpenAsync();

        await Expect(Page).ToHaveTitleAsync("Orleans.Tts");
        var voices = await Voice.Locator("option").EvaluateAllAsync<string[]>("options => options.map(o => o.value)");
        Assert.True(voices.Length > 50, $"only {voices.Length} voices: {string.Join(", ", voices)}");
        Assert.Contains("espeak:cmn", voices);
        Assert.Contains("espeak:en-gb", voices);
        Assert.True(await Voice.Locator("optgroup").CountAsync() > 10, "voices are grouped by language");
        await Expect(Voice).ToHaveValueAsync("espeak:en-us");
        await Expect(Voice).ToBeEnabledAsync();
        await Expect(SynthesizeButton).ToBeEnabledAsync();
        await Expect(SynthesizeButton).ToContainTextAsync("Synthesize / 开始合成");
        await Expect(Page.Locator("#counter")).ToHaveTextAsync("0 / 4096");
        var placeholder = await Text.GetAttributeAsync("placeholder") ?? "";
        Assert.Contains("输入", placeholder);
        Assert.Contains("Type text", placeholder);
    }

    [Fact]
    public async Task Voice_list_that_fails_to_load_is_shown_and_retried()
    {
        var calls = 0;
        await Page.RouteAsync("**/v1/voices", route => Interlocked.Increment(ref calls) == 1
            ? route.FulfillAsync(new()
            {
                Status = 503,
                ContentType = "application/problem+json",
                Body = """{"title":"Not ready","status":503,"detail":"The engines are still starting."}""",
            })
            : route.ContinueAsync());

        await Page.GotoAsync("/");

        await Expect(Error).ToContainTextAsync("The engines are still starting.");
        await Expect(SynthesizeButton).ToBeDisabledAsync();
        await Expect(Voice).ToHaveValueAsync("espeak:en-us", new() { Timeout = 20_000 });
        await Expect(Error).ToBeEmptyAsync();
        await Expect(SynthesizeButton).ToBeEnabledAsync();
    }

    [Fact]
    public async Task Every_control_has_a_label_and_the_status_areas_are_live()
    {
        await OpenAsync();

        await Expect(Page.GetByLabel("Text / 文本")).ToHaveIdAsync("text");
        await Expect(Page.GetByLabel("Voice / 音色")).ToHaveIdAsync("voice");
        await Expect(Page.GetByLabel("Speed / 语速")).ToHaveIdAsync("speed");
        await Expect(Page.GetByRole(AriaRole.Button, new() { Name = "Synthesize / 开始合成" })).ToHaveIdAsync("synthesize");
        await Expect(Status).ToHaveAttributeAsync("aria-live", "polite");
        await Expect(Error).ToHaveAttributeAsync("aria-live", "assertive");
        await Expect(Error).ToHaveAttributeAsync("role", "alert");
    }

    [Fact]
    public async Task Synthesize_button_plays_a_wav_of_the_typed_text()
    {
        await OpenAsync();

        await Text.FillAsync("Hello from Orleans. This sentence should take a couple of seconds to say.");
        await SynthesizeButton.ClickAsync();
        var player = await WaitForPlayerAsync();

        Assert.Equal(("RIFF", "WAVE"), (player.RiffTag, player.WaveTag));
        Assert.True(player.Duration > 0.5, $"audio lasts {player.Duration} s");
        Assert.StartsWith("blob:", player.Source);
        Assert.Equal(player.Source, player.DownloadHref);
        Assert.Equal("speech.wav", player.DownloadName);
        await Expect(Download).ToBeVisibleAsync();
        await Expect(Status).ToContainTextAsync("Synthesised in");
        await Expect(Status).ToContainTextAsync("audio");
        await Expect(Error).ToBeEmptyAsync();
        await Expect(SynthesizeButton).ToBeEnabledAsync();
    }

    [Fact]
    public async Task Mandarin_voice_speaks_Chinese_text()
    {
        await OpenAsync();

        await Voice.SelectOptionAsync("espeak:cmn");
        await Text.FillAsync("你好，世界。今天天气很好，我们一起去公园散步吧。");
        await SynthesizeButton.ClickAsync();
        var player = await WaitForPlayerAsync();

        Assert.Equal(("RIFF", "WAVE"), (player.RiffTag, player.WaveTag));
        Assert.True(player.Duration > 0.5, $"audio lasts {player.Duration} s");
        Assert.Equal(player.Source, player.DownloadHref);
    }

    [Fact]
    public async Task Ctrl_Enter_in_the_text_box_synthesizes()
    {
        await OpenAsync();

        await Text.FillAsync("Keyboard users can submit with control enter.");
        await Text.PressAsync("Control+Enter");
        var player = await WaitForPlayerAsync();

        Assert.Equal(("RIFF", "WAVE"), (player.RiffTag, player.WaveTag));
        Assert.Equal("Keyboard users can submit with control enter.", await Text.InputValueAsync());
    }

    [Fact]
    public async Task Speed_slider_shows_its_value_and_sends_it_with_the_request()
    {
        await OpenAsync();

        await Expect(Speed).ToHaveAttributeAsync("min", "0.25");
        await Expect(Speed).ToHaveAttributeAsync("max", "4");
        await Expect(Speed).ToHaveAttributeAsync("step", "0.05");
        await Speed.FocusAsync();
        for (var i = 0; i < 10; i++) await Page.Keyboard.PressAsync("ArrowRight");
        await Expect(Page.Locator("#speed-value")).ToHaveTextAsync("1.50×");

        await Text.FillAsync("Faster speech.");
        var request = await Page.RunAndWaitForRequestAsync(
            () => SynthesizeButton.ClickAsync(), r => r.Url.EndsWith("/v1/audio/speech", StringComparison.Ordinal));
        var body = request.PostDataJSON()!.Value;
        Assert.Equal(1.5, body.GetProperty("speed").GetDouble());
        Assert.Equal("Faster speech.", body.GetProperty("input").GetString());
        Assert.Equal("espeak:en-us", body.GetProperty("voice").GetString());
        // The page plays speech as it is synthesised: raw PCM in OpenAI's SSE stream.
        Assert.Equal("pcm", body.GetProperty("response_format").GetString());
        Assert.Equal("sse", body.GetProperty("stream_format").GetString());
        Assert.Equal(("RIFF", "WAVE"), ((await WaitForPlayerAsync()).RiffTag, "WAVE"));
    }

    [Fact]
    public async Task Synthesize_button_is_disabled_while_the_request_runs()
    {
        await OpenAsync();
        var requestSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var requests = 0;
        await Page.RouteAsync("**/v1/audio/speech", async route =>
        {
            Interlocked.Increment(ref requests);
            requestSeen.TrySetResult();
            await release.Task.WaitAsync(TimeSpan.FromSeconds(60));
            await route.ContinueAsync();
        });

        await Text.FillAsync("Wait for it.");
        await SynthesizeButton.ClickAsync();
        await requestSeen.Task.WaitAsync(TimeSpan.FromSeconds(15));

        await Expect(SynthesizeButton).ToBeDisabledAsync();
        await Expect(SynthesizeButton).ToHaveAttributeAsync("aria-busy", "true");
        await Expect(SynthesizeButton).ToContainTextAsync("合成中…");
        await Expect(Status).ToContainTextAsync("合成中…");
        await Text.PressAsync("Control+Enter"); // ignored while busy: still one request
        release.SetResult();

        var player = await WaitForPlayerAsync();
        Assert.Equal(("RIFF", "WAVE"), (player.RiffTag, player.WaveTag));
        await Expect(SynthesizeButton).ToBeEnabledAsync();
        await Expect(SynthesizeButton).ToHaveAttributeAsync("aria-busy", "false");
        Assert.Equal(1, requests);
    }

    [Fact]
    public async Task Text_over_the_limit_shows_the_problem_detail_from_the_api()
    {
        var tooLong = new string('a', MaxInputLength + 1);
        var problem = await ProblemFromApiAsync(tooLong, "espeak:en-us");
        await OpenAsync();

        await SetTextAsync(tooLong);
        await Expect(Page.Locator("#counter")).ToHaveTextAsync("4097 / 4096");
        await Expect(Page.Locator("#counter")).ToHaveAttributeAsync("data-over", "true");
        await SynthesizeButton.ClickAsync();

        await Expect(Error).ToContainTextAsync(problem.Detail, new() { Timeout = SynthesisTimeoutMs });
        await Expect(Error).ToContainTextAsync(problem.Title);
        await Expect(Error).ToBeVisibleAsync();
        await Expect(SynthesizeButton).ToBeEnabledAsync();
    }

    [Fact]
    public async Task Unknown_voice_shows_the_problem_detail_from_the_api()
    {
        const string bogus = "espeak:no-such-voice";
        var problem = await ProblemFromApiAsync("Hello", bogus);
        await OpenAsync();

        await Voice.EvaluateAsync("(select, id) => { select.add(new Option(id, id)); select.value = id; }", bogus);
        await Text.FillAsync("Hello");
        await SynthesizeButton.ClickAsync();

        await Expect(Error).ToContainTextAsync(problem.Detail, new() { Timeout = SynthesisTimeoutMs });
    }

    [Fact]
    public async Task Busy_service_shows_the_problem_and_when_to_retry()
    {
        await OpenAsync();
        await Page.RouteAsync("**/v1/audio/speech", route => route.FulfillAsync(new()
        {
            Status = 503,
            ContentType = "application/problem+json",
            Headers = new Dictionary<string, string> { ["Retry-After"] = "7" },
            Body = """{"type":"about:blank","title":"Service busy","status":503,"detail":"All 4 synthesis slots are taken."}""",
        }));

        await Text.FillAsync("Are you there?");
        await SynthesizeButton.ClickAsync();

        await Expect(Error).ToContainTextAsync("Service busy");
        await Expect(Error).ToContainTextAsync("All 4 synthesis slots are taken.");
        await Expect(Error).ToContainTextAsync("Retry after 7 s");
        await Expect(SynthesizeButton).ToBeEnabledAsync();
    }

    [Fact]
    public async Task Network_failure_is_shown_in_the_error_area()
    {
        await OpenAsync();
        await Page.RouteAsync("**/v1/audio/speech", route => route.AbortAsync("connectionrefused"));

        await Text.FillAsync("Is anybody listening?");
        await SynthesizeButton.ClickAsync();

        await Expect(Error).ToContainTextAsync("Network error");
        await Expect(SynthesizeButton).ToBeEnabledAsync();
        await Expect(Page.Locator("#result")).ToBeHiddenAsync();
    }

    [Fact]
    public async Task Empty_text_asks_for_text_without_calling_the_api()
    {
        await OpenAsync();
        var calls = 0;
        Page.Request += (_, r) => { if (r.Url.EndsWith("/v1/audio/speech", StringComparison.Ordinal)) Interlocked.Increment(ref calls); };

        await Text.FillAsync("   ");
        await SynthesizeButton.ClickAsync();

        await Expect(Error).ToContainTextAsync("Nothing to say");
        Assert.Equal(0, calls);
    }

    private sealed record Problem(string Title, string Detail);

    /// <summary>What the real API answers for this request, so the page can be checked against it.</summary>
    private async Task<Problem> ProblemFromApiAsync(string input, string voice)
    {
        using var response = await Silo.HttpClient.PostAsJsonAsync("v1/audio/speech",
            new { model = "tts-1", input, voice, response_format = "wav", speed = 1.0 });
        Assert.False(response.IsSuccessStatusCode, $"the API accepted the request ({(int)response.StatusCode})");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var detail = json.RootElement.GetProperty("detail").GetString();
        var title = json.RootElement.GetProperty("title").GetString();
        Assert.False(string.IsNullOrWhiteSpace(detail), "the problem has no detail");
        Assert.NotEqual(HttpStatusCode.InternalServerError, response.StatusCode);
        return new Problem(title ?? "", detail!);
    }
}

/// <summary>Same page seen by a browser whose language is Chinese.</summary>
[Collection(WebUiCollection.Name)]
public sealed class ChineseBrowserTests(SiloFixture silo, ChromiumFixture chromium, ITestOutputHelper output)
    : WebUiPage(silo, chromium, output)
{
    protected override string Locale => "zh-CN";

    [Fact]
    public async Task Chinese_browser_gets_the_Mandarin_voice_preselected()
    {
        await OpenAsync();

        Assert.Equal("zh-CN", await Page.EvaluateAsync<string>("() => navigator.language"));
        await Expect(Voice).ToHaveValueAsync("espeak:cmn");
    }
}

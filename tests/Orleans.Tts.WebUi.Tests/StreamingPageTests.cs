using System.Net.Http.Json;
using System.Text.Json;
using Orleans.Tts.Testing;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Orleans.Tts.WebUi.Tests;

/// <summary>What the page does beyond one request and a player: it streams, reads along, runs jobs, picks formats and speakers, shows the cluster.</summary>
[Collection(WebUiCollection.Name)]
public sealed class StreamingPageTests(SiloFixture silo, ChromiumFixture chromium, ITestOutputHelper log)
    : WebUiPage(silo, chromium, log)
{
    private static string Sentences(int count) => string.Join(" ", Enumerable.Range(1, count).Select(i =>
        $"Sentence number {i} of this reading is long enough to be heard on its own."));

    [Fact]
    public async Task Sound_starts_before_the_last_sentence_has_arrived()
    {
        await OpenAsync();
        await Text.FillAsync(Sentences(24));
        await SynthesizeButton.ClickAsync();
        var player = await WaitForPlayerAsync();

        var chunksAtFirstSound = int.Parse((await Status.GetAttributeAsync("data-chunks-at-first-sound"))!);
        var chunks = int.Parse((await Status.GetAttributeAsync("data-chunks"))!);
        Log($"first sound after chunk {chunksAtFirstSound} of {chunks}; {await Status.GetAttributeAsync("data-first-sound-ms")} ms after the click");
        Assert.True(chunks >= 24, $"only {chunks} audio events for 24 sentences");
        // Playback began with the first sentence's audio, not after the whole text was synthesised.
        Assert.InRange(chunksAtFirstSound, 1, chunks / 2);
        Assert.Equal(("RIFF", "WAVE"), (player.RiffTag, player.WaveTag));
        Assert.InRange(player.Duration, 24 * 2.0, 24 * 6.0);
    }

    [Fact]
    public async Task The_format_picker_sets_the_download_and_the_pitch_slider_is_sent()
    {
        await OpenAsync();
        await Page.Locator("#format").SelectOptionAsync("mp3");
        await Page.Locator("#pitch").FillAsync("3");
        await Expect(Page.Locator("#pitch-value")).ToHaveTextAsync("+3 st");
        await Text.FillAsync("A file to keep.");
        var request = await Page.RunAndWaitForRequestAsync(() => SynthesizeButton.ClickAsync(),
            r => r.Url.EndsWith("/v1/audio/speech", StringComparison.Ordinal) && r.PostData!.Contains("\"mp3\""));
        Assert.Equal(3, request.PostDataJSON()!.Value.GetProperty("pitch").GetDouble());

        await Expect(Download).ToHaveAttributeAsync("download", "speech.mp3", new() { Timeout = SynthesisTimeoutMs });
        var head = await Page.EvaluateAsync<int[]>("async () => [...new Uint8Array(await (await fetch(document.querySelector('#download').href)).arrayBuffer()).slice(0, 3)]");
        // An MP3 starts with an ID3 tag or a frame sync (11 set bits).
        Assert.True(head is [0x49, 0x44, 0x33, ..] || head[0] == 0xFF && (head[1] & 0xE0) == 0xE0, $"not MP3: {string.Join(' ', head)}");
        Assert.Equal(("RIFF", "WAVE"), ((await WaitForPlayerAsync()).RiffTag, "WAVE"));
    }

    [Fact]
    public async Task A_long_text_runs_as_a_job_with_a_progress_bar_and_its_audio_plays_and_downloads()
    {
        await OpenAsync();
        await SetTextAsync(Sentences(30));
        await Page.Locator("#job").ClickAsync();

        await Expect(Page.Locator("#job-row")).ToBeVisibleAsync();
        await Expect(Page.Locator("#job-row")).ToHaveAttributeAsync("data-state", "succeeded", new() { Timeout = SynthesisTimeoutMs });
        var progress = Page.Locator("#job-progress");
        Assert.Equal(await progress.GetAttributeAsync("max"), await progress.EvaluateAsync<string>("p => String(p.value)"));
        await Expect(Page.Locator("#job-text")).ToContainTextAsync("30 / 30 sentences");
        var player = await WaitForPlayerAsync();
        Assert.Equal(("RIFF", "WAVE"), (player.RiffTag, player.WaveTag));
        Assert.InRange(player.Duration, 30 * 2.0, 30 * 6.0);
        Assert.StartsWith("job-", player.DownloadName);
        Assert.EndsWith(".wav", player.DownloadName);
    }

    [Fact]
    public async Task Speakers_are_offered_in_the_voice_list_and_speak()
    {
        var created = await Silo.HttpClient.PostAsJsonAsync("/v1/speakers", new { id = "page-reader", voice = "espeak:en-gb", speed = 0.9 });
        Assert.True(created.IsSuccessStatusCode || (int)created.StatusCode == 409, await created.Content.ReadAsStringAsync());
        await OpenAsync();

        await Expect(Page.Locator("#voice optgroup[data-lang='speakers'] option[value='speaker:page-reader']")).ToHaveCountAsync(1);
        await Voice.SelectOptionAsync("speaker:page-reader");
        await Text.FillAsync("A saved speaker reads this.");
        await SynthesizeButton.ClickAsync();
        Assert.True((await WaitForPlayerAsync()).Duration > 1);
    }

    [Fact]
    public async Task The_cluster_panel_lists_the_silos_with_their_load()
    {
        await OpenAsync();
        await Page.Locator("#cluster-panel summary").ClickAsync();

        var row = Page.Locator("#silos tbody tr");
        await Expect(row).ToHaveCountAsync(1);
        await Expect(row).ToHaveAttributeAsync("data-status", "active");
        await Expect(row).ToContainTextAsync("(this)");
        await Expect(Page.Locator("#cluster-summary")).ToContainTextAsync("permits");
    }

    [Fact]
    public async Task The_read_along_highlights_the_words_one_after_another_as_they_are_heard()
    {
        await OpenAsync();
        const string text = "Every word lights up while it is spoken. The highlight moves on through the second sentence too.";
        await Text.FillAsync(text);
        await SynthesizeButton.ClickAsync();

        var readAlong = Page.Locator("#readalong");
        await Expect(readAlong).ToBeVisibleAsync(new() { Timeout = SynthesisTimeoutMs });
        // Once the stream is complete (the player has the whole file) every sentence's words are in: the input's own words, in order.
        await WaitForPlayerAsync();
        var words = await readAlong.Locator(".w").AllTextContentsAsync();
        Assert.Equal(text.Split(' ').Select(w => w.TrimEnd('.')), words);
        // Playing takes seconds: wait until the highlight has moved over most of the words.
        await Page.WaitForFunctionAsync($"() => (document.querySelector('#readalong').dataset.highlighted || '').split(',').length >= {words.Count - 3}",
            null, new() { Timeout = SynthesisTimeoutMs });
        var seen = (await readAlong.GetAttributeAsync("data-highlighted"))!.Split(',').Select(int.Parse).ToList();
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.Second > p.First), $"the highlight went back or stood still: {string.Join(",", seen)}");
        Assert.Equal(0, seen[0]);
        // Word by word: at most a couple skipped between two frames of the page.
        Assert.True(seen.Zip(seen.Skip(1)).All(p => p.Second - p.First <= 2), $"the highlight jumped: {string.Join(",", seen)}");
    }
}

using System.Text;
using System.Text.Json;
using Microsoft.Playwright;
using Orleans.Tts.Testing;
using Xunit.Abstractions;

namespace Orleans.Tts.WebUi.Tests;

/// <summary>What the page's audio player and download link hold after a synthesis.</summary>
public sealed record PlayerState(
    double Duration,
    string Source,
    string RiffTag,
    string WaveTag,
    int ByteCount,
    string DownloadHref,
    string? DownloadName);

/// <summary>
/// Base for the WebUI tests: a fresh browser context and page per test, opened on the silo's <c>/</c>.
/// Browser console messages and the silo's output during the test go to the test log (shown on failure).
/// </summary>
public abstract class WebUiPage(SiloFixture silo, ChromiumFixture chromium, ITestOutputHelper output) : IAsyncLifetime
{
    /// <summary>Deadline for anything that waits on a synthesis by the real engine.</summary>
    protected const float SynthesisTimeoutMs = 60_000;

    private readonly StringBuilder _browserLog = new();
    private long _siloMark;
    private IBrowserContext? _context;
    private IPage? _page;

    protected SiloFixture Silo => silo;

    protected IPage Page => _page ?? throw new InvalidOperationException("No page yet.");

    protected ILocator Text => Page.Locator("#text");
    protected ILocator Voice => Page.Locator("#voice");
    protected ILocator Speed => Page.Locator("#speed");
    protected ILocator SynthesizeButton => Page.Locator("#synthesize");
    protected ILocator Player => Page.Locator("#player");
    protected ILocator Download => Page.Locator("#download");
    protected ILocator Error => Page.Locator("#error");
    protected ILocator Status => Page.Locator("#status");

    /// <summary>Browser locale of the test's context; navigator.language follows it.</summary>
    protected virtual string Locale => "en-US";

    public async Task InitializeAsync()
    {
        _siloMark = silo.Silo.OutputMark;
        _context = await chromium.NewContextAsync(silo.BaseAddress, Locale);
        _context.SetDefaultTimeout(15_000);
        _page = await _context.NewPageAsync();
        _page.Console += (_, m) => Log($"[console.{m.Type}] {m.Text}");
        _page.PageError += (_, e) => Log($"[pageerror] {e}");
        _page.RequestFailed += (_, r) => Log($"[requestfailed] {r.Method} {r.Url}: {r.Failure}");
        _page.Response += (_, r) => Log($"[response] {r.Status} {r.Request.Method} {r.Url}");
    }

    public async Task DisposeAsync()
    {
        if (_context is not null) await _context.CloseAsync();
        lock (_browserLog) output.WriteLine("--- browser ---" + Environment.NewLine + _browserLog);
        output.WriteLine(silo.Silo.FormatOutput(_siloMark));
    }

    /// <summary>Opens <c>/</c> and waits until the voice list has loaded.</summary>
    protected async Task OpenAsync()
    {
        var response = await Page.GotoAsync("/");
        Assert.NotNull(response);
        Assert.True(response.Ok, $"GET / answered {response.Status}");
        await Page.WaitForFunctionAsync("() => document.querySelectorAll('#voice option[value]:not([value=\"\"])').length > 0");
    }

    /// <summary>Waits for the player to get a blob, its metadata, and reads the blob back.</summary>
    protected async Task<PlayerState> WaitForPlayerAsync()
    {
        await Page.WaitForFunctionAsync(
            "() => document.querySelector('#player').src.startsWith('blob:') || document.querySelector('#error').textContent.length > 0",
            null, new() { Timeout = SynthesisTimeoutMs });
        var error = await Error.TextContentAsync();
        Assert.True(string.IsNullOrEmpty(error), $"The page shows an error instead of audio: {error}");
        var state = await Page.EvaluateAsync<JsonElement>("""
            async () => {
              const audio = document.querySelector('#player');
              const link = document.querySelector('#download');
              if (audio.readyState < 1 || !Number.isFinite(audio.duration)) {
                await new Promise((resolve, reject) => {
                  const timer = setTimeout(() => reject(new Error('no loadedmetadata within 15 s; readyState ' + audio.readyState)), 15000);
                  const done = () => { clearTimeout(timer); resolve(); };
                  audio.addEventListener('loadedmetadata', done, { once: true });
                  audio.addEventListener('durationchange', () => Number.isFinite(audio.duration) && done());
                  audio.addEventListener('error', () => { clearTimeout(timer); reject(new Error('audio error ' + (audio.error && audio.error.code) + ' ' + (audio.error && audio.error.message))); }, { once: true });
                  if (audio.readyState >= 1 && Number.isFinite(audio.duration)) done();
                });
              }
              const bytes = new Uint8Array(await (await fetch(audio.src)).arrayBuffer());
              const tag = (o) => String.fromCharCode(...bytes.slice(o, o + 4));
              return {
                duration: audio.duration,
                source: audio.src,
                riffTag: tag(0),
                waveTag: tag(8),
                byteCount: bytes.length,
                downloadHref: link.href,
                downloadName: link.getAttribute('download'),
              };
            }
            """);
        return state.Deserialize<PlayerState>(JsonSerializerOptions.Web)
            ?? throw new InvalidOperationException("The page returned no player state.");
    }

    /// <summary>Sets the text box's value through script, as a paste would, bypassing any typing limits.</summary>
    protected Task SetTextAsync(string text) =>
        Text.EvaluateAsync("(el, value) => { el.value = value; el.dispatchEvent(new Event('input', { bubbles: true })); }", text);

    protected void Log(string line)
    {
        lock (_browserLog) _browserLog.AppendLine(line);
    }
}

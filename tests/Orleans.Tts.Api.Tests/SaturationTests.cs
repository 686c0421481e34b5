using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Orleans.Tts.Api.Tests;

/// <summary>A silo with one worker and a queue of two: the rest of a burst is refused at once.</summary>
public sealed class TinySiloFactory : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("TTS_WORKERS", "1");
        builder.UseSetting("TTS_WORKER_QUEUE", "2");
        // The two waiting requests are served however slow the machine is; the rest are refused at once.
        builder.UseSetting("TTS_ADMISSION_WAIT_MS", "60000");
    }
}

public sealed class SaturationTests(TinySiloFactory factory) : IClassFixture<TinySiloFactory>
{
    [Fact]
    public async Task A_full_queue_answers_503_with_retry_after_and_serves_the_admitted_requests()
    {
        var client = factory.CreateClient();
        var text = string.Join(" ", Enumerable.Repeat("This sentence keeps the only worker busy for a while.", 12));
        // Distinct texts: identical ones would share one synthesis through the result cache.
        var responses = await Task.WhenAll(Enumerable.Range(0, 24).Select(i => client.SpeakAsync(new { input = $"Request {i}. {text}", voice = "alloy", response_format = "wav" })));

        var ok = responses.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        var busy = responses.Where(r => r.StatusCode == HttpStatusCode.ServiceUnavailable).ToList();
        Assert.Equal(responses.Length, ok.Count + busy.Count);
        Assert.InRange(ok.Count, 3, 23);
        Assert.NotEmpty(busy);
        foreach (var r in busy)
        {
            Assert.True(r.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "503 without a Retry-After of at least 1 s");
            await r.AssertProblemAsync(503, "retry");
        }
        foreach (var r in ok) Assert.True(Wav.Parse(await r.Content.ReadAsByteArrayAsync()).Seconds > 10);
    }
}

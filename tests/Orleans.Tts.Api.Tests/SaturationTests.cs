using System.Net;

namespace Orleans.Tts.Api.Tests;

public sealed class SaturationTests
{
    [Fact]
    public async Task A_full_queue_answers_503_with_retry_after_and_serves_the_admitted_requests()
    {
        await using var factory = new SiloFactory(SiloFactory.OneWorkerQueueOfTwo);
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

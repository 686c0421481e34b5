using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Admission;
using Orleans.Tts.Testing;

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

    [Fact]
    public async Task With_every_permit_held_requests_that_could_not_finish_by_their_deadline_get_503_with_retry_after_at_once_and_one_that_could_queues()
    {
        await using var factory = new SiloFactory(new Dictionary<string, string> { ["TTS_WORKERS"] = "1" });
        var client = factory.CreateClient();
        var admission = factory.Services.GetRequiredService<IAdmission>();
        var held = await admission.AcquireAsync(new AdmissionRequest("test-holder", "espeak:en-us", 40, TimeSpan.Zero));

        // Nothing has been synthesised yet, so a request is taken to hold its permit 0.5 s: 0.8 s cannot cover the turn of
        // the permit held and a synthesis after it. Each of these is refused at once; none waits in the queue to be let in late.
        var refused = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            client.SpeakAsync(new { input = $"Refused request {i}.", voice = "alloy", response_format = "wav", max_wait_ms = 800 })));
        foreach (var r in refused)
        {
            Assert.True(r.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "503 without a Retry-After of at least 1 s");
            await r.AssertProblemAsync(503, "0.5 s of synthesis, more than this request's 0.8 s limit", "retry");
        }
        Assert.Equal(0, admission.Status.QueuedHere);

        // A deadline that covers the wait and the synthesis queues, and is served when the permit comes back.
        var patient = client.SpeakAsync(new { input = "This request may wait.", voice = "alloy", response_format = "wav", max_wait_ms = 30000 });
        await Poll.UntilAsync(() => Task.FromResult(admission.Status.QueuedHere == 1), TimeSpan.FromSeconds(30), "the patient request queued");
        await held.DisposeAsync();
        var served = await patient;
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.True(Wav.Parse(await served.Content.ReadAsByteArrayAsync()).Seconds > 0.5);
    }

    [Fact]
    public async Task With_every_permit_held_a_long_text_of_short_sentences_queues_while_one_whose_first_sentence_is_long_gets_503()
    {
        await using var factory = new SiloFactory(new Dictionary<string, string> { ["TTS_WORKERS"] = "1" });
        var client = factory.CreateClient();
        var admission = factory.Services.GetRequiredService<IAdmission>();
        var held = await admission.AcquireAsync(new AdmissionRequest("test-holder", "espeak:en-us", 40, TimeSpan.Zero));

        // At 0.5 s per 100 characters until a synthesis is seen: a 300-character first sentence (1.5 s) after the held
        // permit's turn (0.5 s) cannot start its audio within 1.5 s.
        var runOn = string.Join(" ", Enumerable.Repeat("and the clause goes on", 14));
        var refused = await client.SpeakAsync(new { input = $"One first sentence that runs {runOn}. Then a short one.", voice = "alloy", response_format = "wav", max_wait_ms = 1500 });
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1), "503 without a Retry-After of at least 1 s");
        await refused.AssertProblemAsync(503, "1.5 s of synthesis, more than this request's 1.5 s limit", "retry");

        // Twelve short sentences (about 5 s of synthesis by that guess): the audio starts after the first, so it queues.
        var text = string.Join(" ", Enumerable.Range(0, 12).Select(i => $"Sentence {i} of a long text that may wait."));
        var patient = client.SpeakAsync(new { input = text, voice = "alloy", response_format = "wav", max_wait_ms = 1500 });
        await Poll.UntilAsync(() => Task.FromResult(admission.Status.QueuedHere == 1), TimeSpan.FromSeconds(30), "the long text queued");
        await held.DisposeAsync();
        var served = await patient;
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        Assert.True(Wav.Parse(await served.Content.ReadAsByteArrayAsync()).Seconds > 10);
    }
}

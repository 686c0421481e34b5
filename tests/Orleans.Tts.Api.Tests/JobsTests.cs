using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Orleans.Tts.Client;
using Orleans.Tts.Jobs;
using Orleans.Tts.Testing;

namespace Orleans.Tts.Api.Tests;

/// <summary>Asynchronous jobs in the embedded default (in memory).</summary>
[Collection(SiloCollection.Name)]
public sealed class JobsTests(SiloFactory factory)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(120);

    public static string Sentences(int count, string topic = "river") =>
        string.Join(' ', Enumerable.Range(1, count).Select(i => $"Sentence number {i} tells a short story about the {topic} and the hills."));

    [Fact]
    public async Task Submitted_job_completes_and_its_wav_lasts_as_long_as_the_same_text_spoken_directly()
    {
        var client = factory.CreateClient();
        var text = Sentences(10);
        var submitted = await client.PostAsJsonAsync("/v1/jobs", new { input = text, voice = "en-us", response_format = "wav" });
        Assert.Equal(HttpStatusCode.Accepted, submitted.StatusCode);
        var status = (await submitted.Content.ReadFromJsonAsync<JobStatus>())!;
        Assert.Equal($"/v1/jobs/{status.Id}", submitted.Headers.Location?.OriginalString);
        Assert.Matches("^job_[0-9a-f]{32}$", status.Id);
        Assert.Contains(status.State, new[] { "queued", "running" });
        Assert.Equal(10, status.Progress.Total);
        Assert.Equal("wav", status.ResponseFormat);

        var done = await WaitForStateAsync(client, status.Id, "succeeded");
        Assert.Equal(done.Progress.Total, done.Progress.Done);
        Assert.Equal($"/v1/jobs/{status.Id}/audio", done.AudioUrl);
        Assert.Equal(0, done.EtaSeconds);
        Assert.NotNull(done.ExpiresAt);

        var audio = await client.GetAsync(done.AudioUrl);
        Assert.Equal(HttpStatusCode.OK, audio.StatusCode);
        Assert.Equal("audio/wav", audio.Content.Headers.ContentType?.MediaType);
        var job = Wav.Parse(await audio.Content.ReadAsByteArrayAsync()); // checks the exact RIFF and data sizes
        var direct = Wav.Parse(await (await client.SpeakAsync(new { input = text, voice = "en-us", response_format = "wav" })).Content.ReadAsByteArrayAsync());
        Assert.Equal(direct.SampleRate, job.SampleRate);
        Assert.InRange(job.Seconds, direct.Seconds * 0.95, direct.Seconds * 1.05);
        Assert.True(job.RmsDbfs > -35, $"The job's audio is too quiet ({job.RmsDbfs:0.0} dBFS) to be speech.");
    }

    [Fact]
    public async Task Job_audio_comes_in_the_requested_format()
    {
        var client = factory.CreateClient();
        var status = await SubmitAsync(client, new { input = Sentences(3), voice = "en-us", response_format = "mp3" });
        await WaitForStateAsync(client, status.Id, "succeeded");
        var audio = await client.GetAsync($"/v1/jobs/{status.Id}/audio");
        Assert.Equal("audio/mpeg", audio.Content.Headers.ContentType?.MediaType);
        var bytes = await audio.Content.ReadAsByteArrayAsync();
        // MPEG audio frames (sync word 0xFFE) for a few seconds of speech at 64 kbps.
        Assert.Equal(0xFF, bytes[0]);
        Assert.Equal(0xE0, bytes[1] & 0xE0);
        Assert.True(bytes.Length > 8_000, $"{bytes.Length} bytes is too little mp3 for three sentences.");
    }

    [Fact]
    public async Task Events_report_progress_in_order_and_end_with_one_done_event()
    {
        var client = factory.CreateClient();
        var status = await SubmitAsync(client, new { input = Sentences(12, "sea"), voice = "en-us", response_format = "wav" });
        using var response = await client.GetAsync($"/v1/jobs/{status.Id}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = await ReadEventsAsync(response);

        Assert.NotEmpty(events);
        Assert.Equal("done", events[^1].Name);
        Assert.Equal("succeeded", events[^1].Status.State);
        Assert.Equal(12, events[^1].Status.Progress.Done);
        Assert.All(events[..^1], e => Assert.Equal("progress", e.Name));
        Assert.Single(events, e => e.Name != "progress");
        var done = events.Select(e => e.Status.Progress.Done).ToList();
        Assert.Equal(done.OrderBy(d => d), done);
        Assert.All(events, e => Assert.Equal(status.Id, e.Status.Id));
    }

    [Fact]
    public async Task Cancelling_a_job_stops_it_and_its_audio_is_gone_with_410()
    {
        var client = factory.CreateClient();
        var status = await SubmitAsync(client, new { input = Sentences(200, "forest"), voice = "en-us" });

        var cancelled = await client.DeleteAsync($"/v1/jobs/{status.Id}");
        Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
        var body = (await cancelled.Content.ReadFromJsonAsync<JobStatus>())!;
        Assert.Equal("cancelled", body.State);
        Assert.True(body.Progress.Done < body.Progress.Total);
        Assert.Null(body.AudioUrl);

        var again = await client.DeleteAsync($"/v1/jobs/{status.Id}");
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        Assert.Equal("cancelled", (await again.Content.ReadFromJsonAsync<JobStatus>())!.State);

        await (await client.GetAsync($"/v1/jobs/{status.Id}/audio")).AssertProblemAsync(410, "cancelled");
        using var events = await client.GetAsync($"/v1/jobs/{status.Id}/events", HttpCompletionOption.ResponseHeadersRead);
        var only = Assert.Single(await ReadEventsAsync(events));
        Assert.Equal("cancelled", only.Name);
        // The units that were running stop; the job never resumes.
        Assert.Equal("cancelled", (await client.GetFromJsonAsync<JobStatus>($"/v1/jobs/{status.Id}"))!.State);
    }

    [Fact]
    public async Task Audio_of_an_unfinished_job_is_409_with_retry_after()
    {
        var client = factory.CreateClient();
        var status = await SubmitAsync(client, new { input = Sentences(200, "valley"), voice = "en-us" });
        try
        {
            var early = await client.GetAsync($"/v1/jobs/{status.Id}/audio");
            var problem = await early.AssertProblemAsync(409, "retry in", "/events");
            Assert.True(early.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            Assert.Contains(problem.GetProperty("state").GetString(), new[] { "queued", "running" });
        }
        finally
        {
            await client.DeleteAsync($"/v1/jobs/{status.Id}");
        }
    }

    [Fact]
    public async Task Unknown_jobs_are_404_problems_on_every_route()
    {
        var client = factory.CreateClient();
        const string id = "job_00000000000000000000000000000000";
        await (await client.GetAsync($"/v1/jobs/{id}")).AssertProblemAsync(404, id, "POST /v1/jobs");
        await (await client.GetAsync($"/v1/jobs/{id}/audio")).AssertProblemAsync(404, id);
        await (await client.GetAsync($"/v1/jobs/{id}/events")).AssertProblemAsync(404, id);
        await (await client.DeleteAsync($"/v1/jobs/{id}")).AssertProblemAsync(404, id);
    }

    [Fact]
    public async Task Rejects_job_text_longer_than_the_job_limit_with_413()
    {
        var client = factory.CreateClient();
        var input = new string('a', 200_001);
        var problem = await (await client.PostAsJsonAsync("/v1/jobs", new { input, voice = "en-us" })).AssertProblemAsync(413, "200000", "several jobs");
        Assert.Equal(200_000, problem.GetProperty("maxInputChars").GetInt32());
    }

    [Fact]
    public async Task Accepts_job_text_far_longer_than_the_speech_limit()
    {
        var client = factory.CreateClient();
        var status = await SubmitAsync(client, new { input = Sentences(120, "mountain"), voice = "en-us" });
        Assert.True(Sentences(120).Length > 4096);
        Assert.Equal(120, status.Progress.Total);
        await client.DeleteAsync($"/v1/jobs/{status.Id}");
    }

    [Theory]
    [InlineData("""{"input":"Hello there.","voice":"en-us","response_format":"m4a"}""", 400, "Supported")]
    [InlineData("""{"input":"Hello there.","voice":"en-us","speed":9}""", 400, "speed")]
    [InlineData("""{"input":"Hello there.","voice":"no-such-voice"}""", 400, "/v1/voices")]
    [InlineData("""{"input":"   ","voice":"en-us"}""", 400, "empty")]
    [InlineData("""{"voice":"en-us"}""", 400, "required")]
    [InlineData("""{"input":"<speak>Hi.</speak>","voice":"en-us"}""", 400, "plain text")]
    [InlineData("""{"input":"Hi.","voice":"en-us","stream_format":"audio"}""", 400, "events")]
    [InlineData("""{"input":"Hi.","voice":"en-us","speed":"fast"}""", 400, "wrong type")]
    public async Task Invalid_jobs_get_the_same_problems_as_speech(string json, int status, string detail)
    {
        var client = factory.CreateClient();
        var response = await client.PostAsync("/v1/jobs", new StringContent(json, Encoding.UTF8, "application/json"));
        await response.AssertProblemAsync(status, detail);
    }

    [Fact]
    public async Task A_huge_response_format_is_quoted_back_cut_to_64_characters_in_a_small_400()
    {
        // Found by the fuzzer (seed 7): a job body may be megabytes, and the whole field came back in the problem.
        var client = factory.CreateClient();
        var response = await client.PostAsJsonAsync("/v1/jobs", new { input = "Hello.", voice = "en-us", response_format = new string('你', 400_000) });
        var problem = await response.AssertProblemAsync(400, $"response_format '{new string('你', 64)}…' is not supported", "Supported: ");
        Assert.True((await response.Content.ReadAsByteArrayAsync()).Length < 2_000);
        Assert.Equal("Unsupported response_format", problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task Ready_says_jobs_are_in_memory_and_do_not_survive_a_restart()
    {
        var ready = JsonDocument.Parse(await factory.CreateClient().GetStringAsync("/ready")).RootElement;
        Assert.Contains("do not survive a restart", ready.GetProperty("details").GetProperty("jobs").GetString());
    }

    [Fact]
    public async Task Client_submits_waits_with_progress_and_streams_the_audio()
    {
        var http = factory.CreateClient();
        var client = new TtsClient(http, new TtsClientOptions(), new FrontendGateway(http.BaseAddress!));
        var log = new ProgressLog<JobStatus>();
        var submitted = await client.SubmitJobAsync(new JobRequest(Sentences(8, "lake"), "en-us", "wav"));
        var final = await client.WaitForJobAsync(submitted.Id, log);
        Assert.Equal("succeeded", final.State);
        var seen = log.Seen;
        Assert.Equal(final, seen[^1]);
        Assert.Equal(seen.Select(s => s.Progress.Done).OrderBy(d => d), seen.Select(s => s.Progress.Done));
        await using var audio = await client.OpenJobAudioAsync(submitted.Id);
        using var copy = new MemoryStream();
        await audio.CopyToAsync(copy);
        Assert.InRange(Wav.Parse(copy.ToArray()).Seconds, 8 * 2.0, 8 * 6.0);
        Assert.Equal("succeeded", (await client.GetJobAsync(submitted.Id)).State);
        var error = await Assert.ThrowsAsync<TtsRequestException>(() => client.GetJobAsync("job_ffffffffffffffffffffffffffffffff"));
        Assert.Equal(HttpStatusCode.NotFound, error.Status);
    }

    [Fact]
    public async Task An_unknown_job_id_of_five_thousand_characters_gets_a_404_that_quotes_only_its_start()
    {
        var client = factory.CreateClient();
        var id = "job_" + new string('f', 5000);
        var response = await client.GetAsync($"/v1/jobs/{id}");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
        Assert.Equal("Unknown job", problem.GetProperty("title").GetString());
        var detail = problem.GetProperty("detail").GetString()!;
        Assert.Contains("job_ffff", detail);
        Assert.Contains("…", detail);
        Assert.InRange(detail.Length, 40, 400);
    }

    public static async Task<JobStatus> SubmitAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/v1/jobs", body);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, await response.Content.ReadAsStringAsync());
        return (await response.Content.ReadFromJsonAsync<JobStatus>())!;
    }

    public static Task<JobStatus> WaitForStateAsync(HttpClient client, string id, string state) =>
        Poll.UntilAsync(async () =>
        {
            var status = (await client.GetFromJsonAsync<JobStatus>($"/v1/jobs/{id}"))!;
            Assert.True(status.State == state || !status.IsFinal, $"Job {id} ended {status.State} ({status.Error}), expected {state}.");
            return status.State == state ? status : null;
        }, Deadline, $"job {id} {state}", TimeSpan.FromMilliseconds(100));

    public sealed record JobEvent(string Name, JobStatus Status);

    public static async Task<List<JobEvent>> ReadEventsAsync(HttpResponseMessage response)
    {
        var events = new List<JobEvent>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? name = null;
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line["event: ".Length..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
                events.Add(new JobEvent(name ?? "message", JsonSerializer.Deserialize<JobStatus>(line["data: ".Length..])!));
        }
        return events;
    }
}

/// <summary>An embedded silo of its own whose job results expire after one second.</summary>
public sealed class JobExpiryTests
{
    [Fact]
    public async Task Job_results_expire_after_the_ttl_with_410()
    {
        await using var factory = new SiloFactory(new Dictionary<string, string> { ["TTS_WORKERS"] = "1", ["TTS_JOB_TTL_SECONDS"] = "1" });
        var client = factory.CreateClient();
        var status = await JobsTests.SubmitAsync(client, new { input = "A short job.", voice = "en-us", response_format = "wav" });
        var done = await JobsTests.WaitForStateAsync(client, status.Id, "succeeded");
        Assert.InRange(done.ExpiresAt!.Value - done.UpdatedAt, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(1.1));
        var gone = await Poll.UntilAsync(async () =>
        {
            var audio = await client.GetAsync($"/v1/jobs/{status.Id}/audio");
            return audio.StatusCode == HttpStatusCode.Gone ? audio : null;
        }, TimeSpan.FromSeconds(30), "the job's audio to expire");
        await gone.AssertProblemAsync(410, "expired");
        Assert.Null((await client.GetFromJsonAsync<JobStatus>($"/v1/jobs/{status.Id}"))!.AudioUrl);
    }
}

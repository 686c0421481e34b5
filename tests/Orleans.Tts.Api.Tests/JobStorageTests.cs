using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Orleans.Tts.Api.Tests.Auth;
using Orleans.Tts.Jobs;
using Orleans.Tts.Testing;

namespace Orleans.Tts.Api.Tests;

/// <summary>
/// The job storage budget (TTS_JOB_STORAGE_MAX_BYTES) in the embedded default. Ten test sentences of eSpeak en-us (22,050 Hz)
/// are expected to take about 2.5 MB of PCM (about 690 characters at 12 a second) and really take less (they are spoken
/// faster, but at least 0.9 MB), so a 3 MB budget holds one such job and never two, before or after it finished.
/// </summary>
public sealed class JobStorageTests
{
    private const long Budget = 3_000_000;
    private const int TtlSeconds = 8;

    private static Dictionary<string, string> Settings => new()
    {
        ["TTS_WORKERS"] = "2", ["TTS_JOB_STORAGE_MAX_BYTES"] = Budget.ToString(CultureInfo.InvariantCulture),
        ["TTS_JOB_TTL_SECONDS"] = TtlSeconds.ToString(CultureInfo.InvariantCulture),
    };

    [Fact]
    public async Task Refuses_jobs_that_would_exceed_the_storage_budget_with_503_and_retry_after_while_the_accepted_one_completes_in_full()
    {
        await using var factory = new SiloFactory(Settings);
        var client = factory.CreateClient();
        var text = JobsTests.Sentences(10, "harbour");

        // Four at once: the budget is decided under one lock, so exactly one is accepted.
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => client.PostAsJsonAsync("/v1/jobs", new { input = text, voice = "en-us", response_format = "wav" })));
        var accepted = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
        var job = (await accepted.Content.ReadFromJsonAsync<JobStatus>())!;
        foreach (var refused in responses.Where(r => r != accepted))
        {
            var problem = await refused.AssertProblemAsync(503, "TTS_JOB_STORAGE_MAX_BYTES", "2.9 MiB", "expected to take about", "Retry in");
            Assert.Equal("Job storage full", problem.GetProperty("title").GetString());
            Assert.Equal(Budget, problem.GetProperty("storageLimitBytes").GetInt64());
            Assert.False(problem.GetProperty("clientShare").GetBoolean());
            var expected = problem.GetProperty("expectedBytes").GetInt64();
            Assert.InRange(expected, 2_000_000, 3_000_000);
            Assert.True(problem.GetProperty("usedBytes").GetInt64() + expected > Budget);
            // Nothing has finished: the space frees up once the running job's result expires, a TTL after it ends at the earliest.
            Assert.InRange(refused.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(TtlSeconds), TimeSpan.FromSeconds(TtlSeconds + 3));
        }

        // /ready and /metrics report the budget and what the accepted job holds of it.
        var ready = await Poll.UntilAsync(async () =>
        {
            var details = await ReadyDetailsAsync(client);
            return details.TryGetValue("jobs.storage.usedBytes", out var used) && long.Parse(used, CultureInfo.InvariantCulture) > 0 ? details : null;
        }, TimeSpan.FromSeconds(30), "/ready to report the job's storage");
        Assert.Equal(Budget.ToString(CultureInfo.InvariantCulture), ready["jobs.storage.limitBytes"]);
        Assert.Contains("of 2.9 MiB used", ready["jobs.storage"]);
        var metrics = await client.GetStringAsync("/metrics");
        // An unlabelled sample may carry empty braces (OpenTelemetry's exporter writes them), as the format allows.
        Assert.Matches(@"(?m)^tts_job_storage_limit_bytes(\{\})? 3000000$", metrics);
        Assert.Matches(@"(?m)^tts_job_storage_bytes\{kind=""reserved""\} \d+", metrics);
        Assert.Matches(@"(?m)^tts_admission_rejections_total\{reason=""job_storage_full""\} 3$", metrics);

        // The accepted job is never cut: all of its audio, as long as the same text spoken directly.
        var done = await JobsTests.WaitForStateAsync(client, job.Id, "succeeded");
        Assert.Equal(10, done.Progress.Done);
        var wav = Wav.Parse(await client.GetByteArrayAsync($"/v1/jobs/{job.Id}/audio"));
        var direct = Wav.Parse(await (await client.SpeakAsync(new { input = text, voice = "en-us", response_format = "wav" })).Content.ReadAsByteArrayAsync());
        Assert.InRange(wav.Seconds, direct.Seconds * 0.95, direct.Seconds * 1.05);
        Assert.True(wav.RmsDbfs > -35, $"The job's audio is too quiet ({wav.RmsDbfs:0.0} dBFS) to be speech.");
        var storedBytes = (long)Math.Round(wav.Seconds * wav.SampleRate) * 2;

        // Its stored result still holds the space: refused until it expires, and told so.
        var stored = await Poll.UntilAsync(async () =>
        {
            var details = await ReadyDetailsAsync(client);
            return details["jobs.storage.reservedBytes"] == "0" ? details : null;
        }, TimeSpan.FromSeconds(30), "/ready to see the job finished");
        Assert.InRange(long.Parse(stored["jobs.storage.storedBytes"], CultureInfo.InvariantCulture), storedBytes - 4_000, storedBytes + 4_000);
        var again = await client.PostAsJsonAsync("/v1/jobs", new { input = text, voice = "en-us", response_format = "wav" });
        await again.AssertProblemAsync(503, "when enough results will have expired");
        var untilExpiry = done.ExpiresAt!.Value - DateTimeOffset.UtcNow;
        Assert.InRange(again.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(1), untilExpiry + TimeSpan.FromSeconds(4));
        // Once the result expired (and was swept), the same job is accepted.
        again = await Poll.UntilAsync(async () =>
        {
            var response = await client.PostAsJsonAsync("/v1/jobs", new { input = text, voice = "en-us", response_format = "wav" });
            return response.StatusCode == HttpStatusCode.Accepted ? response : null;
        }, TimeSpan.FromSeconds(60), "the job to be accepted once the stored result expired", TimeSpan.FromMilliseconds(500));
        Assert.Equal(HttpStatusCode.Gone, (await client.GetAsync($"/v1/jobs/{job.Id}/audio")).StatusCode);
        var second = (await again.Content.ReadFromJsonAsync<JobStatus>())!;
        await JobsTests.WaitForStateAsync(client, second.Id, "succeeded");
        Assert.InRange(Wav.Parse(await client.GetByteArrayAsync($"/v1/jobs/{second.Id}/audio")).Seconds, direct.Seconds * 0.95, direct.Seconds * 1.05);
    }

    [Fact]
    public async Task Rejects_a_job_whose_audio_alone_exceeds_the_storage_budget_with_413_saying_how_much_text_fits()
    {
        await using var factory = new SiloFactory(Settings);
        var text = JobsTests.Sentences(20, "canal");
        var response = await factory.CreateClient().PostAsJsonAsync("/v1/jobs", new { input = text, voice = "en-us", response_format = "mp3" });
        var problem = await response.AssertProblemAsync(413, "more than the job storage (2.9 MiB) holds", "Split the text into jobs of at most about");
        Assert.Equal(Budget, problem.GetProperty("storageLimitBytes").GetInt64());
        Assert.True(problem.GetProperty("expectedBytes").GetInt64() > Budget);
        var fits = problem.GetProperty("maxInputChars").GetInt32();
        Assert.InRange(fits, text.Length / 3, text.Length - 1);
        Assert.Contains($"at most about {fits} characters", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task One_api_key_may_hold_only_its_share_of_the_job_storage_while_another_key_is_still_accepted()
    {
        await using var factory = new SharedStorageFactory();
        var alice = factory.ClientWith(factory.ClientKey);
        var bob = factory.ClientWith(factory.OtherClientKey);
        var text = JobsTests.Sentences(10, "orchard");
        var first = await JobsTests.SubmitAsync(alice, new { input = text, voice = "en-us", response_format = "wav" });

        var refused = await alice.PostAsJsonAsync("/v1/jobs", new { input = text, voice = "en-us", response_format = "wav" });
        var problem = await refused.AssertProblemAsync(503, "This API key's jobs hold", "50 % of the job storage");
        Assert.Equal("Job storage share used up", problem.GetProperty("title").GetString());
        Assert.True(problem.GetProperty("clientShare").GetBoolean());
        Assert.Equal(SharedStorageFactory.Budget / 2, problem.GetProperty("storageLimitBytes").GetInt64());
        Assert.True(refused.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));

        // The cluster budget has room: another key's job is accepted, and both complete in full.
        var other = await JobsTests.SubmitAsync(bob, new { input = text, voice = "en-us", response_format = "wav" });
        var a = await JobsTests.WaitForStateAsync(alice, first.Id, "succeeded");
        var b = await JobsTests.WaitForStateAsync(bob, other.Id, "succeeded");
        Assert.Equal(10, a.Progress.Done);
        Assert.Equal(10, b.Progress.Done);
        var seconds = Wav.Parse(await alice.GetByteArrayAsync($"/v1/jobs/{first.Id}/audio")).Seconds;
        Assert.InRange(Wav.Parse(await bob.GetByteArrayAsync($"/v1/jobs/{other.Id}/audio")).Seconds, seconds * 0.95, seconds * 1.05);
    }

    private static async Task<Dictionary<string, string>> ReadyDetailsAsync(HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/ready")).RootElement.GetProperty("details").Deserialize<Dictionary<string, string>>()!;

    /// <summary>API keys (alice, bob, ops) and a 7 MB budget: one key's half (3.5 MB) holds one ten-sentence job, the whole budget two.</summary>
    private sealed class SharedStorageFactory : AuthSiloFactory
    {
        public const long Budget = 7_000_000;

        protected override void ConfigureWebHost(IWebHostBuilder builder)
        {
            base.ConfigureWebHost(builder);
            builder.UseSetting("TTS_JOB_STORAGE_MAX_BYTES", Budget.ToString(CultureInfo.InvariantCulture));
        }
    }
}

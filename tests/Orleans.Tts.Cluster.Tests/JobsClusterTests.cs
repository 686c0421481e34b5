using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Orleans.Tts.Client;
using Orleans.Tts.Jobs;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>Durable jobs in PostgreSQL run by several silo processes.</summary>
[Collection(ClusterCollection.Name)]
public sealed class JobsClusterTests(PostgresServer postgres)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(240);

    private static string Text(int sentences) =>
        string.Join(' ', Enumerable.Range(1, sentences).Select(i => $"Part {i} of the long reading goes on about rivers and hills."));

    private static IReadOnlyDictionary<string, string> SiloSettings => new Dictionary<string, string>
    {
        ["TTS_MAX_INPUT_CHARS"] = "20000", ["TTS_JOB_UNIT_SENTENCES"] = "3", ["TTS_JOB_LEASE_SECONDS"] = "30",
    };

    [Fact]
    public async Task A_job_spread_over_three_silos_completes_with_complete_audio_when_a_silo_holding_units_is_killed()
    {
        var db = await postgres.CreateDatabaseAsync();
        var silos = await SiloProcess.StartManyAsync(3, i => ClusterSilo.Options($"jobsilo{i}", db, SiloSettings));
        try
        {
            const int sentences = 120;
            var text = Text(sentences);
            var submitted = await silos[0].HttpClient.PostAsJsonAsync("/v1/jobs", new { input = text, voice = "alloy", response_format = "wav" });
            Assert.True(submitted.StatusCode == HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
            var job = (await submitted.Content.ReadFromJsonAsync<JobStatus>())!;
            Assert.Equal(sentences, job.Progress.Total);

            // Kill -9 a silo while it holds a running unit and at least one unit is already done. Its unit may finish in the
            // moment before the kill lands: then kill another holder (one silo always survives).
            await using var connection = new NpgsqlConnection(db);
            await connection.OpenAsync();
            var alive = silos.ToList();
            var orphans = new List<int>();
            string victimId;
            while (true)
            {
                victimId = await Poll.UntilAsync(async () =>
                {
                    await using var q = new NpgsqlCommand(
                        "SELECT u.owner FROM tts_job_units u JOIN tts_jobs j ON j.id = u.job_id WHERE j.id = @id AND u.state = 'running' AND j.done_units > 0 AND u.owner = ANY(@alive) LIMIT 1", connection);
                    q.Parameters.AddWithValue("id", job.Id);
                    q.Parameters.AddWithValue("alive", alive.Select(s => s.Id).ToArray());
                    return await q.ExecuteScalarAsync() as string;
                }, Deadline, "a silo running a unit of the job after the first unit finished");
                var victim = alive.Single(s => s.Id == victimId);
                victim.Kill();
                await victim.WaitForExitAsync(TimeSpan.FromSeconds(10));
                alive.Remove(victim);
                // The units the dead silo held: nobody may store them but a new lease holder.
                await using (var held = new NpgsqlCommand("SELECT idx FROM tts_job_units WHERE job_id = @id AND owner = @owner AND state = 'running'", connection))
                {
                    held.Parameters.AddWithValue("id", job.Id);
                    held.Parameters.AddWithValue("owner", victimId);
                    await using var reader = await held.ExecuteReaderAsync();
                    while (await reader.ReadAsync()) orphans.Add(reader.GetInt32(0));
                }
                if (orphans.Count > 0 || alive.Count == 1) break;
            }
            var survivor = alive[0];
            Assert.True(orphans.Count > 0, "the killed silo held a running unit");

            var done = await WaitForStateAsync(survivor.HttpClient, job.Id, "succeeded");
            Assert.Equal(sentences, done.Progress.Done);

            await using (var units = new NpgsqlCommand(
                "SELECT count(*)::int, count(*) FILTER (WHERE state = 'done' AND productions = 1)::int, count(DISTINCT owner)::int FROM tts_job_units WHERE job_id = @id",
                connection))
            {
                units.Parameters.AddWithValue("id", job.Id);
                await using var reader = await units.ExecuteReaderAsync();
                await reader.ReadAsync();
                var total = reader.GetInt32(0);
                Assert.Equal(sentences / 3, total);
                Assert.Equal(total, reader.GetInt32(1)); // every unit stored exactly once
                Assert.True(reader.GetInt32(2) >= 2, $"the units ran on {reader.GetInt32(2)} silo(s), expected them spread over several");
            }
            await using (var rerun = new NpgsqlCommand("SELECT count(*)::int FROM tts_job_units WHERE job_id = @id AND idx = ANY(@orphans) AND attempts >= 2 AND owner <> @owner AND productions = 1", connection))
            {
                rerun.Parameters.AddWithValue("id", job.Id);
                rerun.Parameters.AddWithValue("orphans", orphans.ToArray());
                rerun.Parameters.AddWithValue("owner", victimId);
                Assert.Equal(orphans.Count, (int)(await rerun.ExecuteScalarAsync())!); // run again by another silo, stored once
            }

            var audio = await survivor.HttpClient.GetAsync($"/v1/jobs/{job.Id}/audio");
            Assert.Equal(HttpStatusCode.OK, audio.StatusCode);
            var wav = await audio.Content.ReadAsByteArrayAsync();
            var header = SpeechStreams.WavHeader(wav);
            Assert.Equal((uint)(wav.Length - 44), header.DataSize); // exact sizes, the whole result
            var direct = await survivor.HttpClient.SpeakAsync(new { input = text, voice = "alloy", response_format = "wav" });
            Assert.True(direct.StatusCode == HttpStatusCode.OK, await direct.Content.ReadAsStringAsync());
            var expected = SpeechStreams.WavSamples(await direct.Content.ReadAsByteArrayAsync());
            var got = SpeechStreams.WavSamples(wav);
            Assert.InRange(got, expected * 0.97, expected * 1.03);
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_job_survives_a_frontend_restart_and_the_client_follows_it_to_the_end()
    {
        var db = await postgres.CreateDatabaseAsync();
        // Silos with an internal (h2c) port: a frontend is ready only when it sees silos it can send speech to.
        var silos = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"jobdurable{i}", db, new Dictionary<string, string>(SiloSettings)
        {
        }));
        SiloProcess? frontend = null;
        try
        {
            frontend = await SiloProcess.StartAsync(ClusterSilo.Options("jobfrontend1", db) with { Arguments = ["--role", "frontend"] });
            var ready = await frontend.HttpClient.ReadyAsync();
            Assert.Contains("durable", ready.GetProperty("details").GetProperty("jobs").GetString());

            var first = new TtsClient(frontend.HttpClient, new TtsClientOptions(), new FrontendGateway(frontend.BaseAddress));
            var job = await first.SubmitJobAsync(new JobRequest(Text(60), "alloy", "wav"));
            Assert.Contains(job.State, new[] { "queued", "running" });
            frontend.Kill();
            await frontend.DisposeAsync();

            frontend = await SiloProcess.StartAsync(ClusterSilo.Options("jobfrontend2", db) with { Arguments = ["--role", "frontend"] });
            var client = new TtsClient(frontend.HttpClient, new TtsClientOptions(), new FrontendGateway(frontend.BaseAddress));
            var log = new ProgressLog<JobStatus>();
            var final = await client.WaitForJobAsync(job.Id, log).WaitAsync(Deadline);
            Assert.Equal("succeeded", final.State);
            Assert.Equal(60, final.Progress.Done);
            var seen = log.Seen;
            Assert.Equal(final, seen[^1]);
            Assert.Equal(seen.Select(s => s.Progress.Done).Order(), seen.Select(s => s.Progress.Done));

            await using var audio = await client.OpenJobAudioAsync(job.Id);
            using var copy = new MemoryStream();
            await audio.CopyToAsync(copy);
            var seconds = SpeechStreams.WavSamples(copy.ToArray()) / 22050.0;
            Assert.InRange(seconds, 60 * 1.5, 60 * 6.0);
        }
        finally
        {
            if (frontend is not null) await frontend.DisposeAsync();
            foreach (var silo in silos) await silo.DisposeAsync();
        }
    }

    [Fact]
    public async Task Two_silos_share_one_job_storage_budget_refusing_with_503_and_retry_after_while_the_accepted_job_completes_in_full()
    {
        var db = await postgres.CreateDatabaseAsync();
        // Twenty sentences of about 61 characters are expected to take about 4.5 MB of PCM: a 6 MB budget holds one such job.
        const long budget = 6_000_000;
        var silos = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"jobstorage{i}", db, new Dictionary<string, string>(SiloSettings)
        {
            ["TTS_JOB_STORAGE_MAX_BYTES"] = budget.ToString(System.Globalization.CultureInfo.InvariantCulture), ["TTS_JOB_TTL_SECONDS"] = "600",
        }));
        try
        {
            var text = Text(20);
            // Three submissions to each silo at once: the budget is decided under one PostgreSQL lock, so one is accepted cluster-wide.
            var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
                silos[i % 2].HttpClient.PostAsJsonAsync("/v1/jobs", new { input = text, voice = "alloy", response_format = "wav" })));
            var accepted = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
            var job = (await accepted.Content.ReadFromJsonAsync<JobStatus>())!;
            foreach (var refused in responses.Where(r => r != accepted))
            {
                var body = await refused.Content.ReadAsStringAsync();
                Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, body);
                Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
                var problem = System.Text.Json.JsonDocument.Parse(body).RootElement;
                Assert.Contains("TTS_JOB_STORAGE_MAX_BYTES", problem.GetProperty("detail").GetString());
                Assert.Equal(budget, problem.GetProperty("storageLimitBytes").GetInt64());
                // Only a running job holds the space: it frees up a TTL after the job ends at the earliest.
                Assert.InRange(refused.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, TimeSpan.FromSeconds(600), TimeSpan.FromSeconds(603));
            }

            var done = await WaitForStateAsync(silos[1].HttpClient, job.Id, "succeeded");
            Assert.Equal(20, done.Progress.Done);
            var wav = await silos[1].HttpClient.GetByteArrayAsync($"/v1/jobs/{job.Id}/audio");
            Assert.Equal((uint)(wav.Length - 44), SpeechStreams.WavHeader(wav).DataSize);
            var direct = await silos[0].HttpClient.SpeakAsync(new { input = text, voice = "alloy", response_format = "wav" });
            var expected = SpeechStreams.WavSamples(await direct.Content.ReadAsByteArrayAsync());
            var samples = SpeechStreams.WavSamples(wav);
            Assert.InRange(samples, expected * 0.97, expected * 1.03);

            // The table counts exactly the PCM stored, and a finished job no longer reserves anything.
            await using var connection = new NpgsqlConnection(db);
            await connection.OpenAsync();
            await using (var row = new NpgsqlCommand("SELECT stored_bytes, estimated_bytes FROM tts_jobs WHERE id = @id", connection))
            {
                row.Parameters.AddWithValue("id", job.Id);
                await using var reader = await row.ExecuteReaderAsync();
                Assert.True(await reader.ReadAsync());
                Assert.Equal(2L * samples, reader.GetInt64(0));
                Assert.InRange(reader.GetInt64(1), 3_000_000, budget);
            }
            // Its stored result still holds the space: the next one is refused until it expires, and told when.
            var again = await silos[0].HttpClient.PostAsJsonAsync("/v1/jobs", new { input = text, voice = "alloy", response_format = "wav" });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
            var untilExpiry = done.ExpiresAt!.Value - DateTimeOffset.UtcNow;
            Assert.InRange(again.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, untilExpiry - TimeSpan.FromSeconds(5), untilExpiry + TimeSpan.FromSeconds(4));
            var ready = await Poll.UntilAsync(async () =>
            {
                var details = (await silos[0].HttpClient.ReadyAsync()).GetProperty("details");
                return details.TryGetProperty("jobs.storage.storedBytes", out var stored) && stored.GetString() == (2L * samples).ToString(System.Globalization.CultureInfo.InvariantCulture)
                    ? details.GetProperty("jobs.storage").GetString() : null;
            }, TimeSpan.FromSeconds(30), "/ready to report the stored result");
            Assert.Contains("of 5.7 MiB used", ready);
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
        }
    }

    private static Task<JobStatus> WaitForStateAsync(HttpClient client, string id, string state) =>
        Poll.UntilAsync(async () =>
        {
            var status = (await client.GetFromJsonAsync<JobStatus>($"/v1/jobs/{id}"))!;
            Assert.True(status.State == state || !status.IsFinal, $"Job {id} ended {status.State} ({status.Error}), expected {state}.");
            return status.State == state ? status : null;
        }, Deadline, $"job {id} {state}", TimeSpan.FromMilliseconds(200));
}

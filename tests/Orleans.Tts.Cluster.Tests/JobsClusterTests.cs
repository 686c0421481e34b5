using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Orleans.Tts.Client;
using Orleans.Tts.Frontend.Auth;
using Orleans.Tts.Jobs;
using Xunit.Abstractions;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// Jobs as grains across silo processes: a job's grain (on one silo) sends its units to the silos' synthesis grains; its state
/// and audio are in Redis. Faults are real: kill -9 of silo processes, a redis-server stopped and restarted.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed partial class JobsClusterTests(TestClusters clusters, ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(240);

    private static string Text(int sentences, string topic = "rivers and hills") =>
        string.Join(' ', Enumerable.Range(1, sentences).Select(i => $"Part {i} of the long reading goes on about {topic}."));

    private static Dictionary<string, string> SiloSettings(int unitSentences = 2) => new()
    {
        ["TTS_MAX_INPUT_CHARS"] = "20000", ["TTS_JOB_UNIT_SENTENCES"] = unitSentences.ToString(CultureInfo.InvariantCulture), ["TTS_JOB_POLL_MS"] = "500",
    };

    [Fact]
    public async Task Kill_9_of_the_silo_holding_the_job_grain_the_job_resumes_and_its_audio_is_whole_with_each_unit_once()
    {
        var db = await clusters.NewAsync();
        var silos = await SiloProcess.StartManyAsync(3, i => ClusterSilo.Options($"jobholder{i}", db, SiloSettings()));
        try
        {
            var text = Text(60);
            var job = await SubmitAsync(silos[0].HttpClient, text);
            var holder = await Poll.UntilAsync(() => Task.FromResult(HolderOf(silos, job.Id)), TimeSpan.FromSeconds(30), "the silo holding the job's grain");
            var atKill = await Poll.UntilAsync(async () =>
            {
                var status = await StatusAsync(silos.First(s => s != holder).HttpClient, job.Id);
                return status.Progress.Done >= 4 ? status : null;
            }, Deadline, "two units done", TimeSpan.FromMilliseconds(50));
            Assert.NotEqual("succeeded", atKill.State);

            var clock = Stopwatch.StartNew();
            holder.Kill();
            await holder.WaitForExitAsync(TimeSpan.FromSeconds(10));
            var survivors = silos.Where(s => s != holder).ToArray();
            // Resumed: a survivor re-activated the grain from Redis and a unit finished after the kill.
            try
            {
                await Poll.UntilAsync(async () =>
                {
                    var status = await StatusAsync(survivors[0].HttpClient, job.Id);
                    return status.Progress.Done > atKill.Progress.Done || status.State == "succeeded";
                }, Deadline, "the job to progress again", TimeSpan.FromMilliseconds(100));
            }
            catch (TimeoutException e)
            {
                // What the survivors did instead (seen once in a busy full run; it passes alone and under load).
                throw new TimeoutException($"{e.Message}; killed {holder.Id}; survivors:\n{Outputs(survivors)}", e);
            }
            var resumed = clock.Elapsed;
            Assert.Contains(survivors, s => s.Output.Contains($"Job {job.Id} active on silo"));
            output.WriteLine($"Job progressed again {resumed.TotalSeconds:0.0} s after kill -9 of the silo holding its grain ({atKill.Progress.Done}/60 sentences done then)");
            Console.WriteLine($"RESULT job-holder-kill resumed_after_s={resumed.TotalSeconds:0.0}");

            var done = await WaitForStateAsync(survivors[0].HttpClient, job.Id, "succeeded");
            Assert.Equal(60, done.Progress.Done);
            await AssertSameAudioAsAFaultFreeRunAsync(survivors[1].HttpClient, job.Id, text, units: 30);
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
        }
    }

    [Fact]
    public async Task Kill_9_of_a_silo_running_a_unit_the_unit_runs_again_elsewhere_and_the_audio_is_whole_with_each_unit_once()
    {
        var db = await clusters.NewAsync();
        // Units of 10 sentences (well over 100 ms of synthesis each, even on fast cores): long enough that the kill lands while a
        // unit is running; 2-sentence units often finished between the log line being seen and the kill, and with 6 both victims'
        // units did once with the CPU busy (their "stored" lines reach the test late then). Twenty units: the job still has work
        // for the second try when the first kill came too late (with ten, CI's fast cores finished it meanwhile).
        var silos = await SiloProcess.StartManyAsync(3, i => ClusterSilo.Options($"jobunit{i}", db, SiloSettings(10)));
        try
        {
            var text = Text(200);
            var job = await SubmitAsync(silos[0].HttpClient, text);
            var holder = await Poll.UntilAsync(() => Task.FromResult(HolderOf(silos, job.Id)), TimeSpan.FromSeconds(30), "the silo holding the job's grain");
            // A silo other than the grain's, in the middle of a unit, after some unit finished. Its unit may finish in the moment
            // before the kill lands: then kill the other one (the grain's silo always survives).
            var alive = silos.ToList();
            int unit;
            Dictionary<SiloProcess, long> marks;
            while (true)
            {
                SiloProcess victim;
                int running;
                try
                {
                    (victim, running) = await Poll.UntilAsync(async () =>
                    {
                        var status = await StatusAsync(holder.HttpClient, job.Id);
                        Assert.True(status.State != "succeeded", $"the job finished before a unit could be caught running on a silo other than its grain's:\n{Outputs(alive)}");
                        if (status.Progress.Done < 6) return null;
                        foreach (var silo in alive.Where(s => s != holder))
                            if (RunningUnit(silo.Output, job.Id) is { } open) return Tuple.Create(silo, open);
                        return null;
                    }, Deadline, "a silo running a unit of the job", TimeSpan.FromMilliseconds(20));
                }
                catch (TimeoutException e)
                {
                    throw new TimeoutException($"{e.Message}; job {job.Id}, grain on {holder.Id}:\n{Outputs(alive)}", e);
                }
                marks = alive.ToDictionary(s => s, s => s.OutputMark);
                victim.Kill();
                await victim.WaitForExitAsync(TimeSpan.FromSeconds(10));
                alive.Remove(victim);
                unit = running;
                // Run again by a survivor (the grain's call failed once the silo was declared dead, or the grain itself moved
                // because its directory entry lived on the killed silo, and its new activation ran the unfinished unit), or
                // stored by the victim before the kill landed (then the job may also end without a re-run).
                var storedLine = $"Job {job.Id} unit {unit} stored";
                string seen;
                try
                {
                    seen = await Poll.UntilAsync(async () =>
                        alive.Any(s => s.OutputSince(marks[s]).Contains(storedLine)) ? "run again"
                        : victim.Output.Contains(storedLine) || (await StatusAsync(holder.HttpClient, job.Id)).State == "succeeded" ? "finished before the kill"
                        : null, Deadline, $"unit {unit} of the killed silo {victim.Id} stored by a survivor", TimeSpan.FromMilliseconds(50));
                }
                catch (TimeoutException e)
                {
                    var view = await holder.HttpClient.GetStringAsync("/cluster");
                    throw new TimeoutException($"{e.Message}; job {job.Id}, grain on {holder.Id}; its /cluster: {view}\n{Outputs(alive.Append(victim))}", e);
                }
                output.WriteLine($"kill -9 of {victim.Id} while it ran unit {unit}: the unit {seen}");
                if (seen == "run again") break;
                Assert.True(alive.Count > 1, $"every killed silo finished its unit before the kill landed:\n{Outputs(alive)}");
            }
            var survivors = alive.ToArray();

            var done = await WaitForStateAsync(holder.HttpClient, job.Id, "succeeded");
            Assert.Equal(200, done.Progress.Done);
            await AssertSameAudioAsAFaultFreeRunAsync(survivors[0].HttpClient, job.Id, text, units: 20);
            // The re-run unit stored its words too: the captions cover the whole text.
            await AssertCaptionsAsync(survivors[^1].HttpClient, job.Id, text);
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
        }
    }

    private static string Outputs(IEnumerable<SiloProcess> silos) => string.Join("\n", silos.Select(s => $"--- {s.Id}\n{s.FormatOutput()}"));

    [Fact]
    public async Task Captions_of_a_job_whose_units_ran_on_several_silos_follow_the_whole_audio_on_every_silo()
    {
        var db = await clusters.NewAsync();
        var silos = await SiloProcess.StartManyAsync(3, i => ClusterSilo.Options($"jobcaptions{i}", db, SiloSettings()));
        try
        {
            // Sentences of different lengths and forms, so each unit's words must be shifted by the real length of the units before it.
            var text = string.Join(' ', Enumerable.Range(1, 18).Select(i => (i % 3) switch
            {
                0 => $"Chapter {i} costs $1{i}.50, said the clerk.",
                1 => $"Part {i} of the long reading goes on about rivers, hills and the old mill by the water.",
                _ => "Nobody asked why!\nThe road was open again.",
            }));
            var job = await SubmitAsync(silos[0].HttpClient, text);
            var done = await WaitForStateAsync(silos[1].HttpClient, job.Id, "succeeded");
            var storedOn = silos.Where(s => UnitLine().Matches(s.Output).Any(m => m.Groups["job"].Value == job.Id && m.Groups["what"].Value == "stored")).ToList();
            Assert.True(storedOn.Count >= 2, $"the job's {done.Progress.Total / 2} units all ran on one silo");
            foreach (var silo in silos) await AssertCaptionsAsync(silo.HttpClient, job.Id, text);
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
        }
    }

    /// <summary>WebVTT and SRT of the job: valid, in order, within its audio, ending with it, and holding the text's words.</summary>
    private static async Task AssertCaptionsAsync(HttpClient client, string id, string text)
    {
        var wav = await client.GetByteArrayAsync($"/v1/jobs/{id}/audio");
        var seconds = (double)SpeechStreams.WavSamples(wav) / SpeechStreams.WavHeader(wav).SampleRate;
        var vtt = await client.GetAsync($"/v1/jobs/{id}/captions.vtt");
        Assert.True(vtt.IsSuccessStatusCode, await vtt.Content.ReadAsStringAsync());
        Assert.Equal("text/vtt", vtt.Content.Headers.ContentType?.MediaType);
        CaptionFile.ParseVtt(await vtt.Content.ReadAsStringAsync()).AssertCaptions(text, TimeSpan.FromSeconds(seconds));
        var srt = await client.GetAsync($"/v1/jobs/{id}/captions.srt");
        Assert.Equal("application/x-subrip", srt.Content.Headers.ContentType?.MediaType);
        CaptionFile.ParseSrt(await srt.Content.ReadAsStringAsync()).AssertCaptions(text, TimeSpan.FromSeconds(seconds));
    }

    [Fact]
    public async Task Two_silos_share_one_job_storage_budget_refusing_with_503_and_retry_after_while_the_accepted_job_completes_in_full()
    {
        var db = await clusters.NewAsync();
        // Twenty sentences of about 61 characters are expected to take about 4.5 MB of PCM: a 6 MB budget holds one such job.
        const long budget = 6_000_000;
        var silos = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"jobstorage{i}", db, new Dictionary<string, string>(SiloSettings(3))
        {
            ["TTS_JOB_STORAGE_MAX_BYTES"] = budget.ToString(CultureInfo.InvariantCulture), ["TTS_JOB_TTL_SECONDS"] = "600",
        }));
        try
        {
            var text = Text(20);
            // Three submissions to each silo at once: the index grain decides them one at a time, so one is accepted cluster-wide.
            var responses = await Task.WhenAll(Enumerable.Range(0, 6).Select(i =>
                silos[i % 2].HttpClient.PostAsJsonAsync("/v1/jobs", new { input = text, voice = "alloy", response_format = "wav" })));
            var accepted = Assert.Single(responses, r => r.StatusCode == HttpStatusCode.Accepted);
            var job = (await accepted.Content.ReadFromJsonAsync<JobStatus>())!;
            foreach (var refused in responses.Where(r => r != accepted))
            {
                var body = await refused.Content.ReadAsStringAsync();
                Assert.True(refused.StatusCode == HttpStatusCode.ServiceUnavailable, body);
                Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
                var problem = JsonDocument.Parse(body).RootElement;
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

            // Its stored result still holds the space: the next one is refused until it expires, and told when.
            var again = await silos[0].HttpClient.PostAsJsonAsync("/v1/jobs", new { input = text, voice = "alloy", response_format = "wav" });
            Assert.Equal(HttpStatusCode.ServiceUnavailable, again.StatusCode);
            var untilExpiry = done.ExpiresAt!.Value - DateTimeOffset.UtcNow;
            Assert.InRange(again.Headers.RetryAfter?.Delta ?? TimeSpan.Zero, untilExpiry - TimeSpan.FromSeconds(5), untilExpiry + TimeSpan.FromSeconds(4));
            // The index counts exactly the PCM stored (not its compressed size), and a finished job no longer reserves anything.
            var ready = await Poll.UntilAsync(async () =>
            {
                var details = (await silos[0].HttpClient.ReadyAsync()).GetProperty("details");
                return details.TryGetProperty("jobs.storage.storedBytes", out var stored) && stored.GetString() == (2L * samples).ToString(CultureInfo.InvariantCulture)
                    ? details.GetProperty("jobs.storage").GetString() : null;
            }, TimeSpan.FromSeconds(30), "/ready to report the stored result");
            Assert.Contains("of 5.7 MiB used", ready);
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
        }
    }

    [Fact]
    public async Task Only_the_owning_key_or_an_admin_sees_a_job_on_any_silo_and_cancelling_stops_its_units_on_every_silo()
    {
        var db = await clusters.NewAsync();
        string alpha = ApiKeys.Mint(), beta = ApiKeys.Mint(), ops = ApiKeys.Mint();
        var keys = string.Join(';', ApiKeys.HashLine("alpha", ApiKeyRole.Client, alpha), ApiKeys.HashLine("beta", ApiKeyRole.Client, beta),
            ApiKeys.HashLine("ops", ApiKeyRole.Admin, ops));
        // Long units (80 sentences each, many seconds of work): a unit still running after the cancel shows.
        var silos = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"jobowner{i}", db, new Dictionary<string, string>(SiloSettings(80))
        {
            ["TTS_API_KEYS"] = keys,
        }));
        try
        {
            var submit = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(new { input = Text(320), voice = "alloy", response_format = "wav" }) };
            submit.Headers.Authorization = new AuthenticationHeaderValue("Bearer", alpha);
            var submitted = await silos[0].HttpClient.SendAsync(submit);
            Assert.True(submitted.StatusCode == HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
            var job = (await submitted.Content.ReadFromJsonAsync<JobStatus>())!;

            foreach (var silo in silos)
            {
                Assert.Equal(HttpStatusCode.NotFound, (await Send(silo, HttpMethod.Get, $"/v1/jobs/{job.Id}", beta)).StatusCode);
                Assert.Equal(HttpStatusCode.NotFound, (await Send(silo, HttpMethod.Get, $"/v1/jobs/{job.Id}/events", beta)).StatusCode);
                Assert.Equal(HttpStatusCode.NotFound, (await Send(silo, HttpMethod.Delete, $"/v1/jobs/{job.Id}", beta)).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await Send(silo, HttpMethod.Get, $"/v1/jobs/{job.Id}", alpha)).StatusCode);
                Assert.Equal(HttpStatusCode.OK, (await Send(silo, HttpMethod.Get, $"/v1/jobs/{job.Id}", ops)).StatusCode);
            }
            // Both silos run a unit of it; then the owner cancels on the other silo.
            await Poll.UntilAsync(() => Task.FromResult(silos.All(s => RunningUnit(s.Output, job.Id) is not null)), Deadline, "units running on both silos",
                TimeSpan.FromMilliseconds(20));
            var marks = silos.Select(s => s.OutputMark).ToArray();
            var cancelled = await Send(silos[1], HttpMethod.Delete, $"/v1/jobs/{job.Id}", alpha);
            Assert.Equal(HttpStatusCode.OK, cancelled.StatusCode);
            Assert.Equal("cancelled", (await cancelled.Content.ReadFromJsonAsync<JobStatus>())!.State);
            // The running units stop within moments, on both silos: no worker busy, no unit of the job stored after the cancel.
            await Poll.UntilAsync(async () => (await Task.WhenAll(silos.Select(async s => (await s.HttpClient.ReadyAsync()).GetProperty("running").GetInt32()))).All(r => r == 0),
                TimeSpan.FromSeconds(3), "every silo's workers idle after the cancel");
            for (var i = 0; i < silos.Length; i++)
                Assert.False(UnitLine().Matches(silos[i].OutputSince(marks[i])).Any(m => m.Groups["job"].Value == job.Id && m.Groups["what"].Value == "stored"),
                    $"a unit was stored after the cancel: {silos[i].OutputSince(marks[i])}");
            Assert.Equal(HttpStatusCode.Gone, (await Send(silos[0], HttpMethod.Get, $"/v1/jobs/{job.Id}/audio", alpha)).StatusCode);
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
        }
    }

    [Fact]
    public async Task Events_of_a_job_reach_watchers_on_a_silo_not_holding_it_and_on_a_frontend_with_every_unit_s_progress()
    {
        var db = await clusters.NewAsync();
        var (silos, frontend) = await ClusterSilo.StartWithFrontendAsync(db, "jobevents", 2, SiloSettings(), SiloSettings());
        try
        {
            var job = await SubmitAsync(frontend.HttpClient, Text(40));
            var holder = await Poll.UntilAsync(() => Task.FromResult(HolderOf(silos, job.Id)), TimeSpan.FromSeconds(30), "the silo holding the job's grain");
            var other = silos.Single(s => s != holder);
            var watchers = await Task.WhenAll(ReadEventsAsync(other.HttpClient, job.Id), ReadEventsAsync(frontend.HttpClient, job.Id));
            foreach (var (events, where) in watchers.Zip(new[] { "the other silo", "the frontend" }))
            {
                Assert.Equal("done", events[^1].Name);
                Assert.Equal(40, events[^1].Status.Progress.Done);
                var progress = events.Where(e => e.Name == "progress").Select(e => e.Status.Progress.Done).ToList();
                Assert.Equal(progress.Order(), progress);
                // Every unit (two sentences) finished after the watcher came is one event: the stream dropped none.
                var first = progress[0];
                Assert.True(first < 20, $"{where}: the first event already had {first} of 40 sentences");
                var expected = Enumerable.Range(first / 2 + 1, 20 - first / 2 - 1).Select(u => u * 2).ToList();
                Assert.True(expected.All(progress.Contains), $"{where} saw {string.Join(',', progress)}; missing {string.Join(',', expected.Except(progress))}");
            }
        }
        finally
        {
            await frontend.DisposeAsync();
            foreach (var silo in silos) await silo.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_job_survives_a_frontend_restart_and_the_client_follows_it_to_the_end()
    {
        var db = await clusters.NewAsync();
        var silos = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"jobdurable{i}", db, SiloSettings(3)));
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
    public async Task A_finished_job_and_a_speaker_are_still_there_after_redis_restarts_from_its_append_only_file()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"tts-test-redis-jobs-{Guid.NewGuid():n}");
        var redis = RedisServer.Start(out var connection, dir);
        var port = int.Parse(connection.Split(':')[1], CultureInfo.InvariantCulture);
        var db = await clusters.NewAsync();
        var silos = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"jobaof{i}", db, SiloSettings(3)).WithEnvironment("TTS_REDIS", connection));
        try
        {
            Assert.Equal(HttpStatusCode.Created, (await silos[0].HttpClient.PostAsJsonAsync("/v1/speakers", new { id = "aof-ann", voice = "en-us", speed = 1.2 })).StatusCode);
            var job = await SubmitAsync(silos[0].HttpClient, Text(12));
            await WaitForStateAsync(silos[1].HttpClient, job.Id, "succeeded");
            var before = await silos[1].HttpClient.GetByteArrayAsync($"/v1/jobs/{job.Id}/audio");

            // A clean shutdown (SHUTDOWN fsyncs the append-only file), then the same data directory on the same port.
            await using (var admin = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync($"{connection},allowAdmin=true"))
            {
                try { admin.GetServers()[0].Shutdown(); }
                catch (StackExchange.Redis.RedisConnectionException) { } // the server closes the connection as it goes
            }
            Assert.True(redis.WaitForExit(10_000), "redis-server did not shut down");
            redis = RedisServer.Start(out _, dir, port);

            // Both silos come back to it; every process reads the job and the speaker from Redis again (the job's audio too).
            foreach (var silo in silos)
            {
                var status = await Poll.UntilAsync(async () =>
                {
                    var r = await silo.HttpClient.GetAsync($"/v1/jobs/{job.Id}");
                    return r.StatusCode == HttpStatusCode.OK ? await r.Content.ReadFromJsonAsync<JobStatus>() : null;
                }, TimeSpan.FromSeconds(60), "the job readable after the restart");
                Assert.Equal("succeeded", status!.State);
                Assert.Equal(before, await silo.HttpClient.GetByteArrayAsync($"/v1/jobs/{job.Id}/audio"));
                Assert.Equal(HttpStatusCode.OK, (await silo.HttpClient.GetAsync("/v1/speakers/aof-ann")).StatusCode);
            }
            await using (var check = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(connection))
            {
                // The audio's key carries the result's TTL.
                var keys = check.GetServers()[0].Keys(pattern: $"*:jobs:{job.Id}:audio").ToList();
                var ttl = await check.GetDatabase().KeyTimeToLiveAsync(Assert.Single(keys));
                Assert.InRange(ttl!.Value, TimeSpan.FromHours(23), TimeSpan.FromHours(24));
            }
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
            RedisServer.Stop(redis);
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task With_redis_stopped_mid_job_the_job_pauses_and_completes_after_redis_returns_with_each_unit_once()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"tts-test-redis-jobs-{Guid.NewGuid():n}");
        var redis = RedisServer.Start(out var connection, dir);
        var port = int.Parse(connection.Split(':')[1], CultureInfo.InvariantCulture);
        var db = await clusters.NewAsync();
        var silos = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"jobredis{i}", db, SiloSettings()).WithEnvironment("TTS_REDIS", connection));
        try
        {
            var text = Text(60);
            var job = await SubmitAsync(silos[0].HttpClient, text);
            var atStop = await Poll.UntilAsync(async () =>
            {
                var status = await StatusAsync(silos[1].HttpClient, job.Id);
                return status.Progress.Done >= 4 ? status : null;
            }, Deadline, "two units done", TimeSpan.FromMilliseconds(50));
            Assert.NotEqual("succeeded", atStop.State);

            redis.Kill();
            redis.WaitForExit(10_000);
            // Paused: no unit can store its audio, so the progress stops moving (the same on reads 2 s apart).
            var paused = -1;
            await Poll.UntilAsync(async () =>
            {
                var r = await silos[1].HttpClient.GetAsync($"/v1/jobs/{job.Id}");
                if (r.StatusCode != HttpStatusCode.OK) return false;
                var done = (await r.Content.ReadFromJsonAsync<JobStatus>())!.Progress.Done;
                var still = done == paused;
                paused = done;
                return still;
            }, TimeSpan.FromSeconds(30), "the job to pause", TimeSpan.FromSeconds(2));
            Assert.True(paused < 60, "the job finished although Redis was down");

            redis = RedisServer.Start(out _, dir, port);
            var final = await WaitForStateAsync(silos[0].HttpClient, job.Id, "succeeded");
            Assert.Equal(60, final.Progress.Done);
            await AssertSameAudioAsAFaultFreeRunAsync(silos[1].HttpClient, job.Id, text, units: 30);
        }
        finally
        {
            foreach (var silo in silos) await silo.DisposeAsync();
            RedisServer.Stop(redis);
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Task<HttpResponseMessage> Send(SiloProcess silo, HttpMethod method, string path, string key)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return silo.HttpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    private static async Task<JobStatus> SubmitAsync(HttpClient client, string text)
    {
        var submitted = await client.PostAsJsonAsync("/v1/jobs", new { input = text, voice = "alloy", response_format = "wav" });
        Assert.True(submitted.StatusCode == HttpStatusCode.Accepted, await submitted.Content.ReadAsStringAsync());
        return (await submitted.Content.ReadFromJsonAsync<JobStatus>())!;
    }

    /// <summary>
    /// The job's status; a 503 (the job's grain or its storage unreachable for a moment: its silo not yet declared dead, Redis away)
    /// reads as "not yet" with the last known progress unknown, so callers poll on.
    /// </summary>
    private static async Task<JobStatus> StatusAsync(HttpClient client, string id)
    {
        var response = await client.GetAsync($"/v1/jobs/{id}");
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            return new JobStatus(id, "unavailable", new JobProgress(-1, -1), null, "", "", default, default, null);
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JobStatus>())!;
    }

    /// <summary>The live silo whose log says it holds the job's grain (accepted it, or re-activated it).</summary>
    private static SiloProcess? HolderOf(IEnumerable<SiloProcess> silos, string id) =>
        silos.FirstOrDefault(s => !s.HasExited && (s.Output.Contains($"Job {id} accepted on silo") || s.Output.Contains($"Job {id} active on silo")));

    /// <summary>A unit the silo's log shows started and not stored.</summary>
    private static int? RunningUnit(string log, string id)
    {
        var started = UnitLine().Matches(log).Where(m => m.Groups["job"].Value == id).ToList();
        var stored = started.Where(m => m.Groups["what"].Value == "stored").Select(m => m.Groups["unit"].Value).ToHashSet();
        return started.LastOrDefault(m => m.Groups["what"].Value == "started" && !stored.Contains(m.Groups["unit"].Value)) is { } open
            ? int.Parse(open.Groups["unit"].Value, CultureInfo.InvariantCulture) : null;
    }

    [GeneratedRegex(@"Job (?<job>job_[0-9a-f]+) unit (?<unit>\d+) (?<what>started|stored)")]
    private static partial Regex UnitLine();

    /// <summary>
    /// The job's WAV is whole (exact sizes) and as long as the same text run again as a job without faults, within a quarter of
    /// one unit: no unit missing, none twice. Not sample for sample: this build's eSpeak NG output differs slightly between runs
    /// of the same text (three fault-free runs of this 60-sentence job: 9,692,724, 9,694,340 and 9,694,006 bytes; its frication
    /// noise is random), so a sample-exact comparison would fail without any fault.
    /// </summary>
    private static async Task AssertSameAudioAsAFaultFreeRunAsync(HttpClient client, string id, string text, int units)
    {
        var wav = await client.GetByteArrayAsync($"/v1/jobs/{id}/audio");
        Assert.Equal((uint)(wav.Length - 44), SpeechStreams.WavHeader(wav).DataSize);
        var reference = await SubmitAsync(client, text);
        await WaitForStateAsync(client, reference.Id, "succeeded");
        var expected = SpeechStreams.WavSamples(await client.GetByteArrayAsync($"/v1/jobs/{reference.Id}/audio"));
        var got = SpeechStreams.WavSamples(wav);
        var quarterUnit = expected / units / 4;
        Assert.True(Math.Abs(got - expected) < quarterUnit, $"the job has {got} samples, a fault-free run {expected} (one unit is about {expected / units})");
    }

    private static async Task<List<(string Name, JobStatus Status)>> ReadEventsAsync(HttpClient client, string id)
    {
        using var response = await client.GetAsync($"/v1/jobs/{id}/events", HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<(string, JobStatus)>();
        string? name = null;
        using var deadline = new CancellationTokenSource(Deadline);
        while (await reader.ReadLineAsync(deadline.Token) is { } line)
        {
            if (line.StartsWith("event: ", StringComparison.Ordinal)) name = line[7..];
            else if (line.StartsWith("data: ", StringComparison.Ordinal)) events.Add((name!, JsonSerializer.Deserialize<JobStatus>(line[6..])!));
        }
        return events;
    }

    private static Task<JobStatus> WaitForStateAsync(HttpClient client, string id, string state) =>
        Poll.UntilAsync(async () =>
        {
            var status = await StatusAsync(client, id);
            Assert.True(status.State == state || !status.IsFinal, $"Job {id} ended {status.State} ({status.Error}), expected {state}.");
            return status.State == state ? status : null;
        }, Deadline, $"job {id} {state}", TimeSpan.FromMilliseconds(200));
}

using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Orleans.Tts.Reliability;

/// <summary>What a request asks for.</summary>
public enum RequestKind { Short, Long, Streamed, Cached, Job }

/// <summary>How one request ended: <c>ok</c> (audio), <c>busy</c> (503 with Retry-After) or <c>error:…</c>.</summary>
/// <c>ServerMs</c>: the frontend's own time for an audio answer (its <c>X-Tts-Synthesis-Ms</c> header: from the cache lookup to the
/// response headers), to tell the service's time from the time spent outside it (connection, the load generator's own scheduling);
/// <c>Timing</c>: its <c>Server-Timing</c> parts (request, cache, queue, synth, store, total) in milliseconds.
public sealed record Outcome(RequestKind Kind, double StartedAt, double Milliseconds, string Result, string? Detail, double? ServerMs = null,
    IReadOnlyDictionary<string, double>? Timing = null)
{
    public bool Ok => Result == "ok";
    public bool Busy => Result == "busy";
    public bool Error => !Ok && !Busy;
}

/// <summary>
/// An open-loop load: requests start on a fixed schedule (<c>rate</c> per second) whether or not earlier ones have
/// answered, so a slow cluster sees its queue grow as it would with real clients. Each request is one
/// <see cref="RequestKind"/>; texts are unique unless the kind is <see cref="RequestKind.Cached"/>; callers spread
/// over 64 API keys (one client may hold only part of the permits). Responses are checked: audio means a 200 with
/// an audio content type and a non-trivial body (a stream read to its end), a 503 must carry Retry-After.
/// </summary>
public sealed class OpenLoad(Uri frontend, TextWriter log) : IDisposable
{
    private static readonly string[] Words = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Corpus", "english.txt"))
        .Where(l => l.Trim().Length > 0).ToArray();

    private readonly HttpClient _http = new(new SocketsHttpHandler { MaxConnectionsPerServer = 2048, UseProxy = false, PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5) })
    {
        BaseAddress = frontend,
        // Far beyond the admission deadline: a request still unanswered then is a hang, reported as error:timeout.
        Timeout = TimeSpan.FromSeconds(60),
    };

    private long _sequence;
    private readonly ConcurrentDictionary<string, int> _jobsSeen = new();

    /// <summary>Jobs submitted (202) and how many of them ended succeeded; a job seen to finish twice would show here.</summary>
    public (int Submitted, int Succeeded, int Failed, int Lost) Jobs
    {
        get
        {
            var v = _jobsSeen.Values.ToList();
            return (v.Count, v.Count(s => s == 1), v.Count(s => s == 2), v.Count(s => s == 0));
        }
    }

    /// <summary>False when the frontend has no /v1/jobs (404/405): jobs are then left out of the mix.</summary>
    public bool JobsAvailable { get; private set; } = true;

    /// <summary>Runs <paramref name="rate"/> requests per second for <paramref name="duration"/>; returns once every request answered.</summary>
    public Task<List<Outcome>> RunAsync(double rate, TimeSpan duration, Func<long, RequestKind> mix, CancellationToken ct = default, Action<double>? everySecond = null) =>
        ScheduleAsync(rate, duration, ct, everySecond, (i, started) =>
        {
            var kind = mix(i);
            if (kind == RequestKind.Job && !JobsAvailable) kind = RequestKind.Short;
            return SendAsync(kind, started, CancellationToken.None);
        });

    /// <summary>
    /// The open loop itself: request <c>i</c> starts at <c>i / rate</c> seconds (its start time passed to <paramref name="send"/>)
    /// whatever the earlier ones are doing; <paramref name="everySecond"/> is called once a second with the elapsed time.
    /// </summary>
    public static async Task<List<Outcome>> ScheduleAsync(double rate, TimeSpan duration, CancellationToken ct, Action<double>? everySecond,
        Func<long, double, Task<Outcome>> send)
    {
        var outcomes = new ConcurrentBag<Outcome>();
        var pending = new List<Task>();
        var clock = Stopwatch.StartNew();
        var total = (long)(rate * duration.TotalSeconds);
        var lastSecond = 0;
        for (long i = 0; i < total && !ct.IsCancellationRequested; i++)
        {
            var wait = TimeSpan.FromSeconds(i / rate) - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait, CancellationToken.None);
            if ((int)clock.Elapsed.TotalSeconds > lastSecond)
            {
                lastSecond = (int)clock.Elapsed.TotalSeconds;
                everySecond?.Invoke(clock.Elapsed.TotalSeconds);
            }
            var (index, started) = (i, clock.Elapsed.TotalSeconds);
            pending.Add(Task.Run(async () => outcomes.Add(await send(index, started))));
            if (pending.Count > 4096) pending.RemoveAll(t => t.IsCompleted);
        }
        await Task.WhenAll(pending);
        return outcomes.OrderBy(o => o.StartedAt).ToList();
    }

    /// <summary>A unique one-sentence text (a corpus sentence plus a number).</summary>
    public static string SentenceFor(long n) => $"{Words[n % Words.Length].TrimEnd('.', '!', '?')} request {n}.";

    private async Task<Outcome> SendAsync(RequestKind kind, double startedAt, CancellationToken ct)
    {
        var n = Interlocked.Increment(ref _sequence);
        var started = Stopwatch.GetTimestamp();
        Outcome Done(string result, string? detail = null) => new(kind, startedAt, Stopwatch.GetElapsedTime(started).TotalMilliseconds, result, detail);
        try
        {
            object body = kind switch
            {
                RequestKind.Short => new { input = SentenceFor(n), voice = "alloy", response_format = "wav" },
                RequestKind.Long => new { input = string.Join(" ", Enumerable.Range(0, 8).Select(k => SentenceFor(1_000_000_000 + n * 10 + k))), voice = "alloy", response_format = "mp3" },
                RequestKind.Streamed => new { input = string.Join(" ", Enumerable.Range(0, 3).Select(k => SentenceFor(2_000_000_000 + n * 10 + k))), voice = "alloy", response_format = "wav", stream_format = "audio" },
                RequestKind.Cached => new { input = Words[n % 20], voice = "alloy", response_format = "wav" },
                _ => new { input = string.Join(" ", Enumerable.Range(0, 4).Select(k => SentenceFor(3_000_000_000 + n * 10 + k))), voice = "alloy", response_format = "wav" },
            };
            if (kind == RequestKind.Job) return await JobAsync(body, n, Done, ct);
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech") { Content = JsonContent.Create(body) };
            request.Headers.Add("X-Api-Key", $"load-{n % 64}");
            using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            var bytes = await response.Content.ReadAsByteArrayAsync(ct);
            return Classify(response, bytes, Done);
        }
        catch (TaskCanceledException)
        {
            return Done("error:timeout");
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            return Done("error:" + e.GetType().Name, e.InnerException is null ? e.Message : $"{e.Message} ← {e.GetBaseException().GetType().Name}: {e.GetBaseException().Message}");
        }
    }

    private static Outcome Classify(HttpResponseMessage response, byte[] bytes, Func<string, string?, Outcome> done)
    {
        if (response.StatusCode == HttpStatusCode.OK)
        {
            var type = response.Content.Headers.ContentType?.MediaType ?? "";
            return type.StartsWith("audio/", StringComparison.Ordinal) && bytes.Length > 1000
                ? done("ok", null) with { ServerMs = ServerMilliseconds(response), Timing = ServerTiming(response) }
                : done("error:bad-audio", $"{type}, {bytes.Length} bytes");
        }
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            return response.Headers.RetryAfter is not null ? done("busy", text) : done("error:503-without-retry-after", text);
        return done($"error:{(int)response.StatusCode}", text.Length > 300 ? text[..300] : text);
    }

    private static double? ServerMilliseconds(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Tts-Synthesis-Ms", out var values)
        && double.TryParse(values.FirstOrDefault(), System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ms) ? ms : null;

    /// <summary>The <c>Server-Timing</c> header's <c>name;dur=ms</c> entries.</summary>
    private static Dictionary<string, double>? ServerTiming(HttpResponseMessage response)
    {
        if (!response.Headers.TryGetValues("Server-Timing", out var values)) return null;
        var parts = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var entry in values.SelectMany(v => v.Split(',')))
        {
            var fields = entry.Split(';', StringSplitOptions.TrimEntries);
            var dur = fields.Skip(1).FirstOrDefault(f => f.StartsWith("dur=", StringComparison.Ordinal));
            if (dur is not null && double.TryParse(dur[4..], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var ms))
                parts[fields[0]] = ms;
        }
        return parts;
    }

    /// <summary>POST /v1/jobs, poll GET /v1/jobs/{id} until it ends, then GET its audio.</summary>
    private async Task<Outcome> JobAsync(object body, long n, Func<string, string?, Outcome> done, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/jobs") { Content = JsonContent.Create(body) };
        request.Headers.Add("X-Api-Key", $"load-{n % 64}");
        using var created = await _http.SendAsync(request, ct);
        if (created.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.MethodNotAllowed)
        {
            if (JobsAvailable) log.WriteLine("  (no /v1/jobs on this build: jobs are left out of the mix)");
            JobsAvailable = false;
            return done("ok", "no jobs");
        }
        if (created.StatusCode != HttpStatusCode.Accepted) return Classify(created, await created.Content.ReadAsByteArrayAsync(ct), done);
        var location = created.Headers.Location ?? throw new InvalidDataException("202 without Location");
        var id = JsonDocument.Parse(await created.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("id").GetString()!;
        if (!_jobsSeen.TryAdd(id, 0)) return done("error:duplicate-job-id", id);
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromMinutes(3))
        {
            using var status = await _http.GetAsync(location, ct);
            if (status.StatusCode != HttpStatusCode.OK) return done($"error:job-status-{(int)status.StatusCode}", id);
            var state = JsonDocument.Parse(await status.Content.ReadAsStringAsync(ct)).RootElement.GetProperty("state").GetString();
            if (state == "succeeded")
            {
                _jobsSeen[id] = 1;
                using var audio = await _http.GetAsync($"/v1/jobs/{id}/audio", ct);
                return Classify(audio, await audio.Content.ReadAsByteArrayAsync(ct), done);
            }
            if (state is "failed" or "cancelled")
            {
                _jobsSeen[id] = 2;
                return done("error:job-" + state, id);
            }
            await Task.Delay(250, ct);
        }
        return done("error:job-lost", id);
    }

    public void Dispose() => _http.Dispose();
}

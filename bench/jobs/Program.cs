// Interactive p50/p99 latency of one-sentence requests at a fixed rate, without and with a large job backlog, in one run
// against one silo this program starts (embedded default, result cache off). Phases alternate (baseline, backlog, …) so both
// see the same machine; the backlog phase submits the jobs 1 s after it starts (their submission and start count too) and
// cancels them at its end. The ratio of the p99s is the figure (target ≤ 1.20).
// Usage: dotnet Jobs.dll --silo Orleans.Tts.Silo.dll [--rate 4] [--seconds 30] [--rounds 2] [--workers 2] [--jobs 4] [--job-chars 20000]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

var options = Args(args);
var silo = options.GetValueOrDefault("silo") ?? throw new ArgumentException("--silo path/to/Orleans.Tts.Silo.dll is required");
var rate = double.Parse(options.GetValueOrDefault("rate") ?? "4", CultureInfo.InvariantCulture);
var seconds = int.Parse(options.GetValueOrDefault("seconds") ?? "30", CultureInfo.InvariantCulture);
var rounds = int.Parse(options.GetValueOrDefault("rounds") ?? "2", CultureInfo.InvariantCulture);
var workers = options.GetValueOrDefault("workers") ?? "2";
var jobCount = int.Parse(options.GetValueOrDefault("jobs") ?? "4", CultureInfo.InvariantCulture);
var jobChars = int.Parse(options.GetValueOrDefault("job-chars") ?? "20000", CultureInfo.InvariantCulture);

var port = FreePort();
var start = new ProcessStartInfo("dotnet", [silo]) { RedirectStandardOutput = true, RedirectStandardError = true };
start.Environment["TTS_PORT"] = port.ToString(CultureInfo.InvariantCulture);
start.Environment["TTS_WORKERS"] = workers;
start.Environment["TTS_CACHE_MEMORY_MB"] = "0";
start.Environment["Logging__LogLevel__Default"] = "Warning";
using var process = Process.Start(start)!;
process.OutputDataReceived += (_, _) => { };
process.ErrorDataReceived += (_, _) => { };
process.BeginOutputReadLine();
process.BeginErrorReadLine();
Console.CancelKeyPress += (_, _) => process.Kill(entireProcessTree: true);
try
{
    using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(60) };
    var ready = Stopwatch.StartNew();
    while (true)
    {
        try { if ((await http.GetAsync("ready")).IsSuccessStatusCode) break; } catch (HttpRequestException) { }
        if (ready.Elapsed > TimeSpan.FromSeconds(120)) throw new TimeoutException("The silo was not ready within 120 s.");
        await Task.Delay(200);
    }
    Console.WriteLine($"silo ready (TTS_WORKERS={workers}); {Environment.ProcessorCount} cores; load {Load()}; rate {rate}/s; {seconds} s per phase; {rounds} rounds; backlog {jobCount} jobs × {jobChars} chars");

    var counter = 0;
    await Interactive(http, rate, 5, () => Interlocked.Increment(ref counter)); // warm-up
    // Latencies round by round: the interval below resamples whole rounds.
    var baselineRounds = new List<List<double>>();
    var loadedRounds = new List<List<double>>();
    var errors = 0;
    var jobSentences = 0;
    var jobSeconds = 0.0;
    for (var round = 1; round <= rounds; round++)
    {
        var usage = await Usage.ReadAsync(http, process.Id);
        var a = await Interactive(http, rate, seconds, () => Interlocked.Increment(ref counter));
        baselineRounds.Add(a.Latencies);
        errors += a.Errors;
        Console.WriteLine($"round {round} baseline: {Summary(a.Latencies)}  errors {a.Errors}; slowest at {Slowest(a.Sent, a.Latencies)}; load {Load()}");
        Console.WriteLine($"          phases: {Breakdown(a.Latencies, a.Timings)}");
        Console.WriteLine($"          {Overlaps(a.Sent, a.Latencies)}");
        Console.WriteLine($"          silo: {(await Usage.ReadAsync(http, process.Id)).Since(usage, seconds)}");

        // The backlog phase includes the submissions (1 s into it), so their cost counts against interactive latency too;
        // each POST's latency and the silo's own CPU over all of them (engine hosts excluded) show what submitting costs.
        var texts = Enumerable.Range(0, jobCount)
            .Select(j => string.Join(' ', Enumerable.Range(0, jobChars / 60).Select(i => $"Backlog job {j} reads part {i} of a very long book aloud."))).ToList();
        usage = await Usage.ReadAsync(http, process.Id);
        var phase = Interactive(http, rate, seconds, () => Interlocked.Increment(ref counter));
        await Task.Delay(TimeSpan.FromSeconds(1));
        var jobs = new List<string>();
        var cpuBefore = (await Usage.ReadAsync(http, process.Id)).CpuMs;
        var posts = new List<double>();
        var clock = Stopwatch.StartNew();
        for (var j = 0; j < jobCount; j++)
        {
            var posted = Stopwatch.GetTimestamp();
            var text = texts[j];
            Task<HttpResponseMessage> Submit() => http.PostAsJsonAsync("v1/jobs", new { input = text, voice = "en-us", response_format = "wav" });
            var response = await Submit();
            // The previous round's cancelled jobs may still hold the backlog or the storage budget for a moment: a 503 says when to retry.
            for (var retry = 0; response.StatusCode == HttpStatusCode.ServiceUnavailable && retry < 30; retry++)
            {
                Console.WriteLine($"          submit: 503, retry in {response.Headers.RetryAfter?.Delta?.TotalSeconds ?? 1:0} s: {await response.Content.ReadAsStringAsync()}");
                await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
                response = await Submit();
            }
            response.EnsureSuccessStatusCode();
            posts.Add(Stopwatch.GetElapsedTime(posted).TotalMilliseconds);
            jobs.Add(JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!);
        }
        var submitCpu = (await Usage.ReadAsync(http, process.Id)).CpuMs - cpuBefore;
        var b = await phase;
        var siloDuring = (await Usage.ReadAsync(http, process.Id)).Since(usage, seconds);
        var after = await Done(http, jobs);
        jobSentences += after;
        jobSeconds += clock.Elapsed.TotalSeconds;
        loadedRounds.Add(b.Latencies);
        errors += b.Errors;
        Console.WriteLine($"round {round} backlog:  {Summary(b.Latencies)}  errors {b.Errors}  job sentences done {after} ({after / clock.Elapsed.TotalSeconds:0.0}/s)");
        Console.WriteLine($"          submit: POST {string.Join(" / ", posts.Select(p => $"{p:0} ms"))}, silo CPU {submitCpu:0} ms; slowest at {Slowest(b.Sent, b.Latencies)}; load {Load()}");
        Console.WriteLine($"          silo: {siloDuring}");
        Console.WriteLine($"          phases: {Breakdown(b.Latencies, b.Timings)}");
        Console.WriteLine($"          {Overlaps(b.Sent, b.Latencies)}");
        foreach (var id in jobs) await http.DeleteAsync($"v1/jobs/{id}");
    }
    var baseline = baselineRounds.SelectMany(r => r).ToList();
    var loaded = loadedRounds.SelectMany(r => r).ToList();
    var ratio50 = P(loaded, 0.5) / P(baseline, 0.5);
    var ratio99 = P(loaded, 0.99) / P(baseline, 0.99);
    Console.WriteLine();
    Console.WriteLine($"baseline  {Summary(baseline)}");
    Console.WriteLine($"backlog   {Summary(loaded)}   jobs progressed at {jobSentences / Math.Max(1, jobSeconds):0.0} sentences/s");
    Console.WriteLine($"ratio     p50 {ratio50:0.00}×  p99 {ratio99:0.00}×  (target p99 ≤ 1.20×: {(ratio99 <= 1.2 ? "met" : "NOT met")}); errors {errors}");
    var (low, high) = Interval(baselineRounds, loadedRounds, 0.99);
    Console.WriteLine($"          p99 ratio's 90 % bootstrap interval {low:0.00}–{high:0.00}× (rounds resampled: how far the sampling of {rounds} rounds alone moves it)");
}
finally
{
    process.Kill(entireProcessTree: true);
}

// Open loop: request i is sent at i / rate seconds whatever the previous ones do; each has its own API key (admission's per-client share).
static async Task<(List<double> Latencies, List<double> Sent, int Errors, List<Dictionary<string, double>> Timings)> Interactive(HttpClient http, double rate, int seconds, Func<int> next)
{
    var tasks = new List<Task<(double Sent, double? Latency, Dictionary<string, double> Timing)>>();
    var clock = Stopwatch.StartNew();
    var count = (int)(rate * seconds);
    for (var i = 0; i < count; i++)
    {
        var due = TimeSpan.FromSeconds(i / rate) - clock.Elapsed;
        if (due > TimeSpan.Zero) await Task.Delay(due);
        var n = next();
        var sent = clock.Elapsed.TotalSeconds;
        tasks.Add(Task.Run(async () =>
        {
            var started = Stopwatch.GetTimestamp();
            using var request = new HttpRequestMessage(HttpMethod.Post, "v1/audio/speech")
            {
                Content = JsonContent.Create(new { input = $"Interactive request {n} wants a quick answer.", voice = "en-us", response_format = "wav" }),
            };
            request.Headers.Add("X-Api-Key", $"bench-{n}");
            using var response = await http.SendAsync(request);
            await response.Content.ReadAsByteArrayAsync();
            var latency = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            return (sent, response.StatusCode == HttpStatusCode.OK ? latency : (double?)null, ServerTiming(response));
        }));
    }
    var results = (await Task.WhenAll(tasks)).Where(r => r.Latency is not null).ToList();
    return (results.Select(r => r.Latency!.Value).ToList(), results.Select(r => r.Sent).ToList(), tasks.Count - results.Count, results.Select(r => r.Timing).ToList());
}

// The Server-Timing phases of a response (name → ms); "outside" is the client's latency minus the server's total (network,
// Kestrel, the client's own scheduling), added by the caller.
static Dictionary<string, double> ServerTiming(HttpResponseMessage response)
{
    var phases = new Dictionary<string, double>();
    if (!response.Headers.TryGetValues("Server-Timing", out var values)) return phases;
    foreach (var part in string.Join(',', values).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
    {
        var fields = part.Split(';', StringSplitOptions.TrimEntries);
        var dur = fields.Skip(1).FirstOrDefault(f => f.StartsWith("dur=", StringComparison.Ordinal));
        if (dur is not null) phases[fields[0]] = double.Parse(dur[4..], CultureInfo.InvariantCulture);
    }
    return phases;
}

// Requests that arrived while another interactive one was still in flight (with 2 workers and a job sentence holding one,
// those are the ones that could queue for a worker): how many, their mean latency, and how many of the slowest 2 % they are.
static string Overlaps(List<double> sent, List<double> latencies)
{
    var overlapped = Enumerable.Range(0, sent.Count)
        .Where(i => Enumerable.Range(0, sent.Count).Any(j => j != i && sent[j] <= sent[i] && sent[i] < sent[j] + latencies[j] / 1000)).ToHashSet();
    var slow = latencies.Select((l, i) => (l, i)).OrderByDescending(x => x.l).Take(Math.Max(1, latencies.Count / 50)).Count(x => overlapped.Contains(x.i));
    var alone = Enumerable.Range(0, sent.Count).Where(i => !overlapped.Contains(i)).Select(i => latencies[i]).ToList();
    return $"arrived while another ran: {overlapped.Count} (mean {(overlapped.Count == 0 ? 0 : overlapped.Average(i => latencies[i])):0.0} ms, {slow} of the slowest {Math.Max(1, latencies.Count / 50)}); the others' mean {(alone.Count == 0 ? 0 : alone.Average()):0.0} ms";
}

// Where the slowest 2 % of a phase's requests spent their time: the mean of each Server-Timing phase over them, and the rest
// ("outside": client latency minus the server's total), against the same over all requests.
static string Breakdown(List<double> latencies, List<Dictionary<string, double>> timings)
{
    var all = latencies.Select((l, i) => (l, t: timings[i])).ToList();
    var slow = all.OrderByDescending(x => x.l).Take(Math.Max(1, all.Count / 50)).ToList();
    string Means(List<(double l, Dictionary<string, double> t)> set)
    {
        var names = new[] { "request", "cache", "queue", "synth", "release", "store", "total" };
        var parts = names.Select(n => $"{n} {set.Average(x => x.t.GetValueOrDefault(n)):0.0}").ToList();
        parts.Add($"outside {set.Average(x => x.l - x.t.GetValueOrDefault("total")):0.0}");
        return string.Join(", ", parts);
    }
    return $"slowest {slow.Count}: {Means(slow)} | all: {Means(all)} (ms)";
}

// The three slowest requests of a phase: when they were sent (seconds into the phase) and how long they took.
static string Slowest(List<double> sent, List<double> latencies) =>
    string.Join(", ", latencies.Select((l, i) => (l, s: sent[i])).OrderByDescending(x => x.l).Take(3).Select(x => $"{x.s:0.0} s ({x.l:0} ms)"));

static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];

static async Task<int> Done(HttpClient http, List<string> ids)
{
    var sum = 0;
    foreach (var id in ids) sum += JsonDocument.Parse(await http.GetStringAsync($"v1/jobs/{id}")).RootElement.GetProperty("progress").GetProperty("done").GetInt32();
    return sum;
}

static double P(List<double> values, double q)
{
    var sorted = values.Order().ToList();
    return sorted.Count == 0 ? double.NaN : sorted[(int)Math.Min(sorted.Count - 1, q * sorted.Count)];
}

// Whole rounds of each side resampled with replacement, 2,000 times: a p99 is the tail of 960–1,920 requests, and one GC pause or
// busy moment slows several requests of a round together, so one run's ratio moves by tenths with no change to the code
// (bench/RESULTS.md, issue 19); the interval says by how much.
static (double Low, double High) Interval(List<List<double>> baseline, List<List<double>> loaded, double q)
{
    var random = new Random(19);
    var ratios = new double[2000];
    var a = new List<double>();
    var b = new List<double>();
    for (var i = 0; i < ratios.Length; i++)
    {
        a.Clear();
        b.Clear();
        for (var j = 0; j < baseline.Count; j++) a.AddRange(baseline[random.Next(baseline.Count)]);
        for (var j = 0; j < loaded.Count; j++) b.AddRange(loaded[random.Next(loaded.Count)]);
        ratios[i] = P(b, q) / P(a, q);
    }
    Array.Sort(ratios);
    return (ratios[(int)(0.05 * (ratios.Length - 1))], ratios[(int)(0.95 * (ratios.Length - 1))]);
}

static string Summary(List<double> values) => $"n {values.Count,4}  p50 {P(values, 0.5),6:0.0} ms  p99 {P(values, 0.99),6:0.0} ms";

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static Dictionary<string, string> Args(string[] args)
{
    var map = new Dictionary<string, string>();
    for (var i = 0; i + 1 < args.Length; i += 2) map[args[i].TrimStart('-')] = args[i + 1];
    return map;
}

// The silo process's own CPU and its garbage collections (from /metrics), to see what job work costs the process that serves interactive requests.
sealed record Usage(double CpuMs, long Gen0, long Gen1, long Gen2, double GcPauseMs)
{
    public static async Task<Usage> ReadAsync(HttpClient http, int pid)
    {
        // User + system CPU of the process in milliseconds (/proc/PID/stat, clock ticks of 10 ms).
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        var cpu = (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) * 10.0;
        var metrics = await http.GetStringAsync("metrics");
        long Gc(string generation) => long.Parse(System.Text.RegularExpressions.Regex.Match(metrics,
            $@"(?m)^dotnet_gc_collections_total\{{generation=""{generation}""\}} (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);
        var pause = double.Parse(System.Text.RegularExpressions.Regex.Match(metrics, @"(?m)^dotnet_gc_pause_time_seconds_total(?:\{\})? (\S+)").Groups[1].Value, CultureInfo.InvariantCulture);
        return new Usage(cpu, Gc("gen0"), Gc("gen1"), Gc("gen2"), pause * 1000);
    }

    public string Since(Usage before, int seconds) =>
        $"CPU {(CpuMs - before.CpuMs) / seconds / 10:0.0} % of a core; GCs gen0 {Gen0 - before.Gen0}, gen1 {Gen1 - before.Gen1}, gen2 {Gen2 - before.Gen2}, paused {GcPauseMs - before.GcPauseMs:0} ms";
}

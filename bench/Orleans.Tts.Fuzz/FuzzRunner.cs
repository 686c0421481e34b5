using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;

namespace Orleans.Tts.Fuzz;

/// <summary>How a run is driven.</summary>
public sealed record FuzzOptions
{
    public int Seed { get; init; } = 1;
    public long Cases { get; init; } = 100_000;
    public long FirstCase { get; init; }
    public int Concurrency { get; init; } = 4;
    /// <summary>Longer than the server's longest queue wait (TTS_ADMISSION_MAX_WAIT_MS, 30 s) plus a synthesis.</summary>
    public TimeSpan CaseTimeout { get; init; } = TimeSpan.FromSeconds(90);
    /// <summary>Slowloris and slow-body connections held open during the run.</summary>
    public int SlowClients { get; init; } = 4;
    /// <summary>How long a slow client keeps trickling before it gives up (the server should close it first).</summary>
    public TimeSpan SlowFor { get; init; } = TimeSpan.FromSeconds(40);
    /// <summary>The server's process id, for RSS samples from /proc; null skips them.</summary>
    public int? ServerPid { get; init; }
    /// <summary>Case count at which the "early" RSS figure is taken (growth is measured from there to the end).</summary>
    public long EarlyMark { get; init; } = 10_000;
    public Action<string>? Progress { get; init; }
}

public sealed record Failure(long Index, string Category, string Reason, string Request);

public sealed record SlowClientResult(string Kind, string Ending, double Seconds);

/// <summary>Counts, histograms, failures and memory figures of a run.</summary>
public sealed class FuzzReport
{
    public required int Seed { get; init; }
    public long Cases { get; set; }
    public TimeSpan Elapsed { get; set; }
    public ConcurrentDictionary<string, long> ByCategory { get; } = new();
    public ConcurrentDictionary<string, long> ByStatus { get; } = new();
    public ConcurrentDictionary<string, long> ByCategoryStatus { get; } = new();
    public ConcurrentDictionary<string, double> SecondsByCategory { get; } = new();
    public ConcurrentQueue<Failure> Failures { get; } = new();
    public long FailureCount;
    public List<SlowClientResult> SlowClients { get; } = [];
    public long? RssStartBytes { get; set; }
    public long? RssEarlyBytes { get; set; }
    public long? RssEndBytes { get; set; }
    public long? RssMaxBytes { get; set; }
    public bool ServerAliveAtEnd { get; set; } = true;
    public string? FinalCheck { get; set; }

    public bool Passed => FailureCount == 0 && ServerAliveAtEnd && FinalCheck is null;

    public string Summary()
    {
        static string Mb(long? bytes) => bytes is { } b ? $"{b / 1048576.0:0.0} MB" : "n/a";
        var text = new StringBuilder();
        text.AppendLine($"Fuzz seed {Seed}: {Cases} cases in {Elapsed.TotalSeconds:0.0} s ({Cases / Math.Max(0.001, Elapsed.TotalSeconds):0} cases/s)");
        text.AppendLine("Cases by category: " + string.Join(", ", ByCategory.OrderBy(p => p.Key).Select(p => $"{p.Key} {p.Value}")));
        text.AppendLine("Status histogram:  " + string.Join(", ", ByStatus.OrderBy(p => p.Key).Select(p => $"{p.Key}×{p.Value}")));
        foreach (var category in ByCategory.Keys.Order())
            text.AppendLine($"  {category,-15} {SecondsByCategory.GetValueOrDefault(category),7:0.0} s  " + string.Join(", ", ByCategoryStatus.Where(p => p.Key.StartsWith(category + " ", StringComparison.Ordinal)).OrderBy(p => p.Key).Select(p => $"{p.Key[(category.Length + 1)..]}×{p.Value}")));
        foreach (var slow in SlowClients) text.AppendLine($"Slow client {slow.Kind}: {slow.Ending} after {slow.Seconds:0.0} s");
        text.AppendLine($"Server RSS: start {Mb(RssStartBytes)}, after {Math.Min(Cases, 10_000)} cases {Mb(RssEarlyBytes)}, end {Mb(RssEndBytes)}, max {Mb(RssMaxBytes)}; growth early→end {Mb(RssEndBytes - RssEarlyBytes)}");
        text.AppendLine($"Server alive at the end: {(ServerAliveAtEnd ? "yes" : "NO")}; final check: {FinalCheck ?? "a valid request still gets audio"}");
        text.AppendLine($"Failures: {FailureCount}");
        foreach (var f in Failures.OrderBy(f => f.Index).Take(40))
            text.AppendLine($"  case {f.Index} [{f.Category}] {f.Reason}{Environment.NewLine}    replay: --seed {Seed} --case {f.Index}    request: {f.Request}");
        return text.ToString();
    }
}

/// <summary>Sends the generated cases to a server over loopback with a few kept-alive connections and judges each answer.</summary>
public sealed class FuzzRunner(IPEndPoint server, FuzzOptions options)
{
    private const int MaxKeptFailures = 500;

    public async Task<FuzzReport> RunAsync(CancellationToken ct = default)
    {
        var generator = new CaseGenerator(options.Seed);
        var report = new FuzzReport { Seed = options.Seed };
        var clock = Stopwatch.StartNew();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        long next = options.FirstCase - 1, done = 0;
        var end = options.FirstCase + options.Cases;

        var rss = new RssSampler(options.ServerPid);
        report.RssStartBytes = rss.Read();
        var sampler = rss.SampleAsync(report, () => Interlocked.Read(ref done), options.EarlyMark, stop.Token);
        var slow = Enumerable.Range(0, options.SlowClients).Select(i => SlowClientAsync(i, stop.Token)).ToList();

        var workers = Enumerable.Range(0, options.Concurrency).Select(async _ =>
        {
            RawConnection? kept = null;
            try
            {
                long index;
                while ((index = Interlocked.Increment(ref next)) < end && !ct.IsCancellationRequested)
                {
                    var fuzzCase = generator.Case(index);
                    var started = Stopwatch.GetTimestamp();
                    var outcome = await SendAsync(fuzzCase, () => kept, c => kept = c, ct);
                    var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                    report.SecondsByCategory.AddOrUpdate(fuzzCase.Category, seconds, (_, s) => s + seconds);
                    Record(report, fuzzCase, outcome, options.Progress);
                    var n = Interlocked.Increment(ref done);
                    if (n % 10_000 == 0) options.Progress?.Invoke($"{n} cases, {report.FailureCount} failures, {clock.Elapsed.TotalSeconds:0} s, server RSS {rss.Read() / 1048576.0:0} MB");
                }
            }
            finally
            {
                kept?.Dispose();
            }
        }).ToList();
        await Task.WhenAll(workers);
        report.Cases = Interlocked.Read(ref done);
        report.Elapsed = clock.Elapsed;
        foreach (var result in await Task.WhenAll(slow)) report.SlowClients.Add(result);
        await stop.CancelAsync();
        await sampler;
        report.RssEndBytes = rss.Read();
        report.RssEarlyBytes ??= report.RssEndBytes;
        await FinalCheckAsync(report, ct);
        return report;
    }

    /// <summary>Sends one case alone and returns what came back (for <c>--case</c> replays).</summary>
    public async Task<Outcome> ReplayAsync(FuzzCase fuzzCase, CancellationToken ct = default)
    {
        RawConnection? kept = null;
        try { return await SendAsync(fuzzCase, () => kept, c => kept = c, ct); }
        finally { kept?.Dispose(); }
    }

    private async Task<Outcome> SendAsync(FuzzCase fuzzCase, Func<RawConnection?> getKept, Action<RawConnection?> setKept, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(options.CaseTimeout);
        if (fuzzCase.Fresh || fuzzCase.HalfClose)
        {
            using var fresh = await RawConnection.OpenAsync(server, timeout.Token);
            return await fresh.SendAsync(fuzzCase.Request, fuzzCase.HalfClose, timeout.Token);
        }
        var connection = getKept() ?? await RawConnection.OpenAsync(server, timeout.Token);
        setKept(connection);
        var outcome = await connection.SendAsync(fuzzCase.Request, halfClose: false, timeout.Token);
        if (connection.Broken)
        {
            connection.Dispose();
            setKept(null);
        }
        return outcome;
    }

    private static void Record(FuzzReport report, FuzzCase fuzzCase, Outcome outcome, Action<string>? progress)
    {
        report.ByCategory.AddOrUpdate(fuzzCase.Category, 1, (_, n) => n + 1);
        report.ByStatus.AddOrUpdate(outcome.Label, 1, (_, n) => n + 1);
        report.ByCategoryStatus.AddOrUpdate($"{fuzzCase.Category} {outcome.Label}", 1, (_, n) => n + 1);
        if (Oracle.Check(fuzzCase, outcome) is not { } reason) return;
        var count = Interlocked.Increment(ref report.FailureCount);
        if (count > MaxKeptFailures) return;
        var failure = new Failure(fuzzCase.Index, fuzzCase.Category, reason, fuzzCase.Preview());
        report.Failures.Enqueue(failure);
        if (count <= 50) progress?.Invoke($"FAILURE case {failure.Index} [{failure.Category}] {failure.Reason} (replay: --seed {report.Seed} --case {failure.Index}) request: {failure.Request}");
    }

    /// <summary>
    /// A slowloris (headers one byte at a time) or a slow body (a byte a second): each holds a connection and should be
    /// closed by the server (request-header timeout, minimum body data rate) while the other cases keep being served.
    /// </summary>
    private async Task<SlowClientResult> SlowClientAsync(int i, CancellationToken ct)
    {
        var kind = i % 2 == 0 ? "slowloris" : "slow-body";
        var clock = Stopwatch.StartNew();
        using var connection = await RawConnection.OpenAsync(server, ct);
        var head = kind == "slowloris"
            ? "POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + new string('s', 100_000)
            : "POST /v1/audio/speech HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n{\"input\":\"" + new string('a', 1_900);
        var start = kind == "slowloris" ? 60 : 110;
        var bytes = Encoding.ASCII.GetBytes(head);
        using var read = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var answer = connection.SendAsync(bytes[..start], halfClose: false, read.Token);
        for (var at = start; at < bytes.Length && clock.Elapsed < options.SlowFor && !ct.IsCancellationRequested; at++)
        {
            var tick = Task.Delay(TimeSpan.FromSeconds(1), ct);
            if (await Task.WhenAny(answer, tick) == answer) break;
            try { await connection.WriteAsync(bytes.AsMemory(at, 1), ct); }
            catch (Exception e) when (e is IOException or System.Net.Sockets.SocketException or ObjectDisposedException) { break; }
        }
        if (!answer.IsCompleted) await read.CancelAsync();
        Outcome outcome;
        try { outcome = await answer; }
        catch (OperationCanceledException) { outcome = new(null, "timeout"); }
        var ending = outcome.Response is { } r ? $"server answered {r.Status} and closed" : outcome.Error == "timeout" ? "still open (the client gave up)" : $"server closed the connection ({outcome.Error})";
        return new SlowClientResult(kind, ending, clock.Elapsed.TotalSeconds);
    }

    /// <summary>After the storm: the process lives, and a plain request still gets audio.</summary>
    private async Task FinalCheckAsync(FuzzReport report, CancellationToken ct)
    {
        report.ServerAliveAtEnd = new RssSampler(options.ServerPid).ProcessAlive();
        if (!report.ServerAliveAtEnd) return;
        var request = RawRequest.Json("POST", "/v1/audio/speech", "{\"input\":\"Still here.\",\"voice\":\"alloy\",\"response_format\":\"wav\"}"u8.ToArray());
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        using var connection = await RawConnection.OpenAsync(server, timeout.Token);
        var outcome = await connection.SendAsync(request, halfClose: false, timeout.Token);
        if (outcome.Response is not { Status: 200 } ok || ok.Header("content-type") != "audio/wav" || ok.BodyLength < 1000)
            report.FinalCheck = $"a valid request after the run got {outcome.Label} {(outcome.Response is { } r ? Oracle.Excerpt(r) : "")}";
    }
}

using System.Diagnostics;
using Orleans.Tts.ClusterClient;
using Orleans.Tts.Speech;

namespace Orleans.Tts.Fuzz;

/// <summary>
/// Sends seeded <see cref="CommandCase"/>s through the Orleans client's entry point (<see cref="ITtsCluster"/>) and judges each
/// outcome. Acceptable: audio; <see cref="SpeechRequestInvalidException"/> with a 4xx status, a title and a short detail;
/// <see cref="SpeechBusyException"/> with a retry time; the caller's own cancellation. Anything else — another exception type
/// (an Orleans timeout, a server error), empty audio, no answer within the case timeout, a dead silo — is a failure.
/// </summary>
public sealed class CommandFuzzRunner(ITtsCluster cluster, FuzzOptions options)
{
    private const int MaxKeptFailures = 500;

    public async Task<FuzzReport> RunAsync(CancellationToken ct = default)
    {
        var generator = new CommandGenerator(options.Seed);
        var report = new FuzzReport { Seed = options.Seed };
        var clock = Stopwatch.StartNew();
        long next = options.FirstCase - 1, done = 0;
        var end = options.FirstCase + options.Cases;
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var rss = new RssSampler(options.ServerPid);
        report.RssStartBytes = rss.Read();
        var sampler = rss.SampleAsync(report, () => Interlocked.Read(ref done), options.EarlyMark, stop.Token);

        await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(async _ =>
        {
            long index;
            while ((index = Interlocked.Increment(ref next)) < end && !ct.IsCancellationRequested)
            {
                var fuzzCase = generator.Case(index);
                var started = Stopwatch.GetTimestamp();
                var (label, failure) = await JudgeAsync(fuzzCase, ct);
                var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                report.ByCategory.AddOrUpdate(fuzzCase.Category, 1, (_, n) => n + 1);
                report.ByStatus.AddOrUpdate(label, 1, (_, n) => n + 1);
                report.ByCategoryStatus.AddOrUpdate($"{fuzzCase.Category} {label}", 1, (_, n) => n + 1);
                report.SecondsByCategory.AddOrUpdate(fuzzCase.Category, seconds, (_, s) => s + seconds);
                if (failure is not null)
                {
                    Interlocked.Increment(ref report.FailureCount);
                    if (report.Failures.Count < MaxKeptFailures) report.Failures.Enqueue(new Failure(index, fuzzCase.Category, failure, fuzzCase.Preview()));
                    options.Progress?.Invoke($"FAILURE case {index} [{fuzzCase.Category}]: {failure}");
                }
                var n = Interlocked.Increment(ref done);
                if (n % 10_000 == 0) options.Progress?.Invoke($"{n} cases, {report.FailureCount} failures, {clock.Elapsed.TotalSeconds:0} s, silo RSS {rss.Read() / 1048576.0:0} MB");
            }
        }));
        report.Cases = Interlocked.Read(ref done);
        report.Elapsed = clock.Elapsed;
        await stop.CancelAsync();
        await sampler;
        report.RssEndBytes = rss.Read();
        report.RssEarlyBytes ??= report.RssEndBytes;
        report.ServerAliveAtEnd = rss.ProcessAlive();
        if (report.ServerAliveAtEnd)
        {
            var (label, failure) = await JudgeAsync(new CommandCase(-1, "final", new SpeechCommand("Still here.", "alloy", "wav"), CommandMode.Whole, 0), ct);
            if (failure is not null || label != "audio") report.FinalCheck = $"a valid command after the run: {failure ?? label}";
        }
        return report;
    }

    /// <summary>The outcome's label (<c>audio</c>, <c>busy</c>, <c>cancelled</c>, <c>left</c> or the refusal's status) and why it is a failure, or null.</summary>
    public async Task<(string Label, string? Failure)> JudgeAsync(CommandCase fuzzCase, CancellationToken ct = default)
    {
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(ct);
        if (fuzzCase.Mode == CommandMode.Cancel) caller.CancelAfter(fuzzCase.CancelAfterMs);
        try
        {
            return await SendAsync(fuzzCase, caller.Token).WaitAsync(options.CaseTimeout, ct);
        }
        catch (TimeoutException) when (!ct.IsCancellationRequested)
        {
            await caller.CancelAsync();
            return ("hang", $"no answer within {options.CaseTimeout.TotalSeconds:0} s");
        }
        catch (SpeechRequestInvalidException e)
        {
            var label = e.Status.ToString(System.Globalization.CultureInfo.InvariantCulture);
            if (e.Status is < 400 or > 499) return (label, $"refused with status {e.Status}: {e.Title}: {e.Detail}");
            if (string.IsNullOrWhiteSpace(e.Title) || string.IsNullOrWhiteSpace(e.Detail)) return (label, $"a refusal without a title or detail ({e.Status})");
            if (e.Detail.Length > 1000) return (label, $"a detail of {e.Detail.Length} characters (echoes the input?): {e.Detail[..200]}…");
            return (label, null);
        }
        catch (SpeechBusyException e)
        {
            return e.RetryAfter > TimeSpan.Zero && e.RetryAfter <= TimeSpan.FromHours(1) && !string.IsNullOrWhiteSpace(e.Detail)
                ? ("busy", null)
                : ("busy", $"a busy answer with retry after {e.RetryAfter} and detail '{e.Detail}'");
        }
        catch (OperationCanceledException) when (caller.IsCancellationRequested && fuzzCase.Mode == CommandMode.Cancel)
        {
            return ("cancelled", null);
        }
        catch (Exception e)
        {
            return ("error", $"{e.GetType().FullName}: {FirstLine(e.Message)}");
        }
    }

    private async Task<(string, string?)> SendAsync(CommandCase fuzzCase, CancellationToken ct)
    {
        switch (fuzzCase.Mode)
        {
            case CommandMode.Whole or CommandMode.Cancel:
                var audio = await cluster.SynthesizeAsync(fuzzCase.Command, ct);
                return audio.Content.Length > 0 && !string.IsNullOrEmpty(audio.ContentType) && double.IsFinite(audio.AudioSeconds) && audio.AudioSeconds >= 0
                    ? ("audio", null)
                    : ("audio", $"audio of {audio.Content.Length} bytes, type '{audio.ContentType}', {audio.AudioSeconds} s");
            case CommandMode.LeaveStream:
                await foreach (var _ in cluster.StreamAsync(fuzzCase.Command, ct)) return ("left", null);
                return ("left", "a stream that ended without a chunk");
            default:
                long bytes = 0;
                SpeechChunk? last = null;
                await foreach (var chunk in cluster.StreamAsync(fuzzCase.Command, ct))
                {
                    bytes += chunk.Audio.Length;
                    last = chunk;
                }
                return bytes > 0 && last?.End is not null ? ("audio", null) : ("audio", $"a stream of {bytes} bytes whose last chunk has {(last?.End is null ? "no" : "an")} end");
        }
    }

    private static string FirstLine(string message) => message.Split('\n')[0] is var line && line.Length > 300 ? line[..300] + "…" : message.Split('\n')[0];
}

/// <summary>VmRSS of a process from /proc (Linux), sampled every 250 ms during a run.</summary>
public sealed class RssSampler(int? pid)
{
    public long? Read()
    {
        if (pid is not { } id) return null;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{id}/status"))
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException) { }
        return null;
    }

    public bool ProcessAlive()
    {
        if (pid is not { } id) return true;
        try { return !Process.GetProcessById(id).HasExited; }
        catch (ArgumentException) { return false; }
    }

    public async Task SampleAsync(FuzzReport report, Func<long> done, long earlyMark, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                if (Read() is { } rss)
                {
                    report.RssMaxBytes = Math.Max(report.RssMaxBytes ?? 0, rss);
                    if (report.RssEarlyBytes is null && done() >= earlyMark) report.RssEarlyBytes = rss;
                }
                await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
            }
        }
        catch (OperationCanceledException) { }
    }
}

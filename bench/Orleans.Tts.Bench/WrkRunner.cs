using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Orleans.Tts.Bench;

public sealed record WrkResult(int Connections, int Seconds, double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Errors, string Command);

/// <summary>An independent HTTP figure: wrk posting the corpus's JSON bodies in turn over keep-alive connections.</summary>
public static partial class WrkRunner
{
    public static bool IsInstalled() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, "wrk")));

    public static async Task<WrkResult> RunAsync(Uri baseAddress, Corpus corpus, int connections, int seconds, CancellationToken ct)
    {
        var script = Path.Combine(Path.GetTempPath(), $"orleans-tts-bench-{Environment.ProcessId}.lua");
        await File.WriteAllTextAsync(script, LuaScript(corpus), ct);
        try
        {
            var url = new Uri(baseAddress, "v1/audio/speech").ToString();
            string[] args = [$"-t{connections}", $"-c{connections}", $"-d{seconds}s", "--timeout", "10s", "--latency", "-s", script, url];
            var info = new ProcessStartInfo("wrk") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (var a in args) info.ArgumentList.Add(a);
            using var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start wrk.");
            var output = process.StandardOutput.ReadToEndAsync(ct);
            var error = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            var text = await output;
            if (process.ExitCode != 0) throw new InvalidOperationException($"wrk failed ({process.ExitCode}): {await error}{text}");
            return Parse(text, connections, seconds, "wrk " + string.Join(' ', args).Replace(script, "post.lua", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(script);
        }
    }

    private static string LuaScript(Corpus corpus)
    {
        var lua = new StringBuilder("local bodies = {\n");
        foreach (var s in corpus.Sentences)
            lua.Append("  [==[").Append(Encoding.UTF8.GetString(HttpTarget.Body(corpus.VoiceId, s))).Append("]==],\n");
        // One connection per wrk thread, each thread its own client (X-Api-Key), as in HttpTarget.
        lua.Append($$"""
            }
            local threads = 0
            function setup(thread)
              threads = threads + 1
              thread:set("id", threads)
            end
            local i = 0
            local headers
            function init(args)
              i = id * 37
              headers = { ["Content-Type"] = "application/json", ["X-Api-Key"] = "{{HttpTarget.ClientKeyPrefix}}wrk-" .. id }
            end
            function request()
              i = i % #bodies + 1
              return wrk.format("POST", nil, headers, bodies[i])
            end
            """);
        return lua.ToString();
    }

    private static WrkResult Parse(string text, int connections, int seconds, string command)
    {
        double Rps() => double.Parse(RequestsPerSecond().Match(text).Groups[1].Value, CultureInfo.InvariantCulture);
        double Pct(string p)
        {
            var m = Regex.Match(text, $@"^\s*{p}%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
            if (!m.Success) return double.NaN;
            var v = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return m.Groups[2].Value switch { "us" => v / 1000, "s" => v * 1000, _ => v };
        }
        var requests = long.Parse(Requests().Match(text).Groups[1].Value, CultureInfo.InvariantCulture);
        var errors = NonSuccess().Match(text) is { Success: true } e ? long.Parse(e.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        errors += SocketErrors().Matches(text).Sum(m => long.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture));
        return new WrkResult(connections, seconds, Rps(), Pct("50"), Pct("99"), requests, errors, command);
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex NonSuccess();

    [GeneratedRegex(@"(?:connect|read|write|timeout) (\d+)")]
    private static partial Regex SocketErrors();
}

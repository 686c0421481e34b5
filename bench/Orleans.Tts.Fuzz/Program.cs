using System.Net;
using System.Text;
using Orleans.Tts.Fuzz;
using Orleans.Tts.Testing;

// Hostile-input fuzzer of the HTTP API (issue 8). Starts a real silo (--silo PATH) or attacks a running one
// (--url http://127.0.0.1:P/ --pid N), sends --cases seeded cases, prints a summary, exits 1 on any failure.
//   --case I replays case I alone and prints its request and answer.
//   --orleans sends seeded SpeechCommand records through the Orleans client's entry point instead (a throwaway
//   redis-server, the silo in Redis cluster mode, an Orleans client host).
var arguments = args.ToList();
string? Option(string name)
{
    var i = arguments.IndexOf(name);
    return i >= 0 && i + 1 < arguments.Count ? arguments[i + 1] : null;
}
if (arguments.Contains("--help") || arguments.Contains("-h"))
{
    Console.WriteLine("""
        Orleans.Tts.Fuzz: hostile-input fuzzer of the HTTP API.
          --silo PATH        start this Orleans.Tts.Silo.dll (embedded default, empty models dir) and fuzz it
          --url URL --pid N  fuzz a running server instead (pid for RSS samples and the liveness check)
          --cases N          cases to send (default 100000)        --seed S       seed (default 1)
          --concurrency C    connections at once (default 4)       --slow K       slow clients (default 4)
          --case I           replay case I of the seed alone and print the request and the answer
          --env NAME=VALUE   extra silo environment (repeatable)
          --orleans          send SpeechCommand records through the Orleans client (ITtsCluster) instead of HTTP
        """);
    return 0;
}

var seed = int.Parse(Option("--seed") ?? "1");
var options = new FuzzOptions
{
    Seed = seed,
    Cases = long.Parse(Option("--cases") ?? "100000"),
    Concurrency = int.Parse(Option("--concurrency") ?? "4"),
    SlowClients = int.Parse(Option("--slow") ?? "4"),
    Progress = line => Console.Error.WriteLine($"[fuzz] {line}"),
};

if (arguments.Contains("--orleans")) return await OrleansFuzz.RunAsync(Path.GetFullPath(Option("--silo") ?? SiloProcess.LocateSiloDll()), options, Option("--case"));

SiloProcess? silo = null;
Uri baseAddress;
int? pid = null;
if (Option("--url") is { } url)
{
    baseAddress = new Uri(url);
    if (Option("--pid") is { } p) pid = int.Parse(p);
}
else
{
    var dll = Option("--silo") ?? throw new ArgumentException("give --silo PATH/Orleans.Tts.Silo.dll or --url URL");
    var models = Directory.CreateTempSubdirectory("tts-fuzz-models-");
    var environment = new Dictionary<string, string?> { ["TTS_MODELS_DIR"] = models.FullName, ["TTS_WORKERS"] = "2", ["Logging__LogLevel__Default"] = "Warning" };
    for (var i = arguments.IndexOf("--env"); i >= 0 && i + 1 < arguments.Count; i = arguments.IndexOf("--env", i + 1))
    {
        var pair = arguments[i + 1].Split('=', 2);
        environment[pair[0]] = pair.Length > 1 ? pair[1] : "";
    }
    silo = await SiloProcess.StartAsync(new SiloProcessOptions { SiloDllPath = Path.GetFullPath(dll), Environment = environment });
    baseAddress = silo.BaseAddress;
    pid = silo.ProcessId;
    Console.Error.WriteLine($"[fuzz] silo pid {pid} at {baseAddress}");
}

var endpoint = new IPEndPoint(IPAddress.Parse(baseAddress.Host), baseAddress.Port);
try
{
    if (Option("--case") is { } replay)
    {
        var fuzzCase = new CaseGenerator(seed).Case(long.Parse(replay));
        Console.WriteLine($"case {fuzzCase.Index} [{fuzzCase.Category}] protocol={fuzzCase.Protocol} fresh={fuzzCase.Fresh} halfClose={fuzzCase.HalfClose}");
        Console.WriteLine(fuzzCase.Preview(4000));
        var outcome = await new FuzzRunner(endpoint, options with { ServerPid = pid }).ReplayAsync(fuzzCase);
        Console.WriteLine($"→ {outcome.Label} {(outcome.Response is { } r ? string.Join("; ", r.Headers.Select(h => $"{h.Key}: {h.Value}")) + Environment.NewLine + Oracle.Excerpt(r, 2000) : "")}");
        var verdict = Oracle.Check(fuzzCase, outcome);
        Console.WriteLine(verdict is null ? "verdict: acceptable" : $"verdict: FAILURE: {verdict}");
        return verdict is null ? 0 : 1;
    }

    var report = await new FuzzRunner(endpoint, options with { ServerPid = pid }).RunAsync();
    Console.WriteLine(report.Summary());
    if (silo is not null && !report.Passed)
    {
        var output = silo.Output.Split('\n');
        Console.WriteLine(string.Join('\n', output.Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("exception", StringComparison.OrdinalIgnoreCase)).Take(60)));
    }
    return report.Passed ? 0 : 1;
}
finally
{
    if (silo is not null) await silo.DisposeAsync();
}

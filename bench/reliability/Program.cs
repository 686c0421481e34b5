// Load, overload, soak and faults on a loopback Orleans cluster: Redis + silos + a --role frontend.
// Usage: bench/run reliability [SCENARIO…] [--silos N] [--workers N] [--dead-seconds S] [--capacity R]
//                              [--overload-seconds S] [--chaos-seconds S] [--soak-minutes M] [--mix-capacity R]
// The soak first ramps its mix to find the mix's own capacity (--mix-capacity R, in requests/s, skips that) and runs at 70 % of it.
// Scenarios: capacity overload chaos rolling redisstop workerkill soak (default: all but soak). The raw engine
// limit is measured first in every run; capacity (or --capacity) sets the rate of the others.
using System.Globalization;
using Orleans.Tts.Reliability;

var scenarios = new List<string>();
int silos = 3, workers = 1, deadSeconds = 10, soakMinutes = 20, chaosSeconds = 150, overloadSeconds = 60;
double? capacity = null, mixCapacity = null;
var siloDll = "";
var root = "";
for (var i = 0; i < args.Length; i++)
{
    string Next() => i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
    int Int() => int.Parse(Next(), CultureInfo.InvariantCulture);
    switch (args[i])
    {
        case "--silos": silos = Int(); break;
        case "--workers": workers = Int(); break;
        case "--dead-seconds": deadSeconds = Int(); break;
        case "--soak-minutes": soakMinutes = Int(); break;
        case "--chaos-seconds": chaosSeconds = Int(); break;
        case "--overload-seconds": overloadSeconds = Int(); break;
        case "--capacity": capacity = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--mix-capacity": mixCapacity = double.Parse(Next(), CultureInfo.InvariantCulture); break;
        case "--silo": siloDll = Next(); break;
        case "--root": root = Next(); break;
        case var s when !s.StartsWith('-'): scenarios.Add(s); break;
        default: Console.Error.WriteLine($"Unknown option {args[i]}"); return 2;
    }
}
if (scenarios.Count == 0) scenarios = ["capacity", "overload", "clientoverload", "chaos", "rolling", "scale", "redisstop", "workerkill"];
var known = new[] { "capacity", "overload", "clientoverload", "chaos", "rolling", "scale", "redisstop", "workerkill", "soak" };
if (scenarios.FirstOrDefault(s => !known.Contains(s)) is { } unknown)
{
    Console.Error.WriteLine($"Unknown scenario '{unknown}'; known: {string.Join(' ', known)}");
    return 2;
}

var log = Console.Out;
var layout = new ClusterLayout(root, siloDll, silos, workers, deadSeconds);
var run = new Scenarios(new ScenarioSettings(layout, capacity, soakMinutes, chaosSeconds, overloadSeconds, MixCapacity: mixCapacity), log);
log.WriteLine($"# reliability {string.Join(' ', scenarios)} — {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, {Environment.ProcessorCount} cores ({Orleans.Tts.Bench.ProcFs.CpuModel()}), load {Orleans.Tts.Bench.ProcFs.LoadAverages()}");
log.WriteLine($"command: bench/run reliability {string.Join(' ', args.Where(a => a != "--silo" && a != "--root" && a != siloDll && a != root))}");
await run.MeasureRawAsync(CancellationToken.None);
foreach (var scenario in scenarios)
{
    var task = scenario switch
    {
        "capacity" => run.CapacityAsync(CancellationToken.None),
        "overload" => run.OverloadAsync(CancellationToken.None),
        "clientoverload" => run.ClientOverloadAsync(CancellationToken.None),
        "scale" => run.ScaleAsync(CancellationToken.None),
        "soak" => run.SoakAsync(CancellationToken.None),
        "chaos" => run.ChaosAsync(CancellationToken.None),
        "rolling" => run.RollingAsync(CancellationToken.None),
        "redisstop" => run.RedisStopAsync(CancellationToken.None),
        _ => run.WorkerKillAsync(CancellationToken.None),
    };
    await task;
}
log.WriteLine($"load during the run: {run.LoadSummary}; targets missed: {run.Missed}");
return run.Missed == 0 ? 0 : 1;

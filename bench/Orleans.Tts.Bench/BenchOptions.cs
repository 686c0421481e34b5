using System.Globalization;

namespace Orleans.Tts.Bench;

/// <summary>Command-line settings of one benchmark run.</summary>
public sealed class BenchOptions
{
    public const string Usage = """
        Usage: Orleans.Tts.Bench [options] [RESULTS.json]

          --rounds N          measured rounds (default 7); best and spread are reported
          --warmup N          warm-up passes over every corpus before measuring (default 6: the silo's
                              JIT tiers settle only after ~1,500 requests)
          --min-sentences N   sentences per throughput run at least; a corpus is repeated (default 400)
          --cores N           engine hosts, workers and raw concurrency (default: usable cores)
          --silo PATH         Orleans.Tts.Silo.dll to start (default: <repo>/Silo/bin/Release/net10.0/)
          --ready-timeout S   seconds to wait for the silo's /ready (default 120)
          --wrk / --no-wrk    also measure with wrk (default: when wrk is on PATH)
          --wrk-seconds S     duration of the wrk run (default 15)
          --json FILE         write the figures as JSON (same as the positional argument)
        """;

    public int Rounds { get; private set; } = 7;
    public int WarmupPasses { get; private set; } = 6;
    public int MinThroughputSentences { get; private set; } = 400;
    public int Cores { get; private set; } = Environment.ProcessorCount;
    public string? SiloPath { get; private set; }
    public TimeSpan ReadyTimeout { get; private set; } = TimeSpan.FromSeconds(120);
    public bool? Wrk { get; private set; }
    public int WrkSeconds { get; private set; } = 15;
    public string? JsonPath { get; private set; }
    public bool Help { get; private set; }

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var o = new BenchOptions();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            string Next() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{a} needs a value.");
            switch (a)
            {
                case "-h" or "--help": o.Help = true; break;
                case "--rounds": o.Rounds = PositiveInt(a, Next()); break;
                case "--warmup": o.WarmupPasses = PositiveInt(a, Next()); break;
                case "--min-sentences": o.MinThroughputSentences = PositiveInt(a, Next()); break;
                case "--cores": o.Cores = PositiveInt(a, Next()); break;
                case "--silo": o.SiloPath = Next(); break;
                case "--ready-timeout": o.ReadyTimeout = TimeSpan.FromSeconds(PositiveInt(a, Next())); break;
                case "--wrk": o.Wrk = true; break;
                case "--no-wrk": o.Wrk = false; break;
                case "--wrk-seconds": o.WrkSeconds = PositiveInt(a, Next()); break;
                case "--json": o.JsonPath = Next(); break;
                default:
                    if (a.StartsWith('-')) throw new ArgumentException($"Unknown option '{a}'.");
                    o.JsonPath = o.JsonPath is null ? a : throw new ArgumentException($"Unexpected argument '{a}'.");
                    break;
            }
        }
        return o;
    }

    private static int PositiveInt(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
            ? n
            : throw new ArgumentException($"{name} needs a positive whole number, not '{value}'.");
}

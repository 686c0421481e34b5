// Admission overhead: acquire + release of one permit, uncontended, in memory and over PostgreSQL.
// Usage: dotnet run -c Release -- [iterations]   (TTS_POSTGRES=<connection string> adds the PostgreSQL figures)
using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Tts.Admission;
using Orleans.Tts.Cluster;
using Orleans.Tts.Grains.Admission;
using Orleans.Tts.Grains.Cluster;

var iterations = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2000;
var options = new AdmissionOptions { GlobalMaxInflight = 64, LocalCapacity = 2 };
await Measure("in-memory", new InMemoryAdmissionGrain(options, new ClusterLoad()));

if (Environment.GetEnvironmentVariable("TTS_POSTGRES") is { Length: > 0 } cs)
{
    var cluster = new TtsClusterOptions { Self = new SiloIdentity("bench", "http://127.0.0.1:0", "bench", 2) };
    await using var dataSource = NpgsqlDataSource.Create(cs);
    var store = new PostgresStore(dataSource, cluster, NullLogger<PostgresStore>.Instance);
    await store.StartAsync(CancellationToken.None);
    var notifications = new PostgresNotifications(store, NullLogger<PostgresNotifications>.Instance);
    await Measure("postgres", new PostgresAdmissionGrain(store, notifications, options, cluster, new ClusterLoad(), NullLogger<PostgresAdmissionGrain>.Instance));
}

async Task Measure(string name, IAdmission grain)
{
    var request = new AdmissionRequest("bench-client", "espeak:en-us", 40, TimeSpan.FromSeconds(2));
    for (var i = 0; i < 200; i++) await (await grain.AcquireAsync(request)).DisposeAsync();
    var samples = new double[iterations];
    for (var i = 0; i < iterations; i++)
    {
        var start = Stopwatch.GetTimestamp();
        await (await grain.AcquireAsync(request)).DisposeAsync();
        samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
    Array.Sort(samples);
    double P(double q) => samples[(int)Math.Min(samples.Length - 1, q * samples.Length)];
    Console.WriteLine($"{name,-10} acquire+release  p50 {P(0.5):0.000} ms  p95 {P(0.95):0.000} ms  p99 {P(0.99):0.000} ms  (n={iterations})");
}

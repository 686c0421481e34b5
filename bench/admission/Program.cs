// Admission overhead: acquire + release of one permit, uncontended, in one process (the base class's queue alone) and through
// the cluster's admission grain in a two-silo Orleans cluster (in process, real Orleans messaging between the silos): from the
// silo the grain lives on and from the other one. Prints each case's percentiles and its p50 less the in-memory p50.
// Usage: dotnet run -c Release -- [iterations]
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.TestingHost;
using Orleans.Tts.Admission;
using Orleans.Tts.Grains.Admission;
using Orleans.Tts.Grains.Cluster;

var iterations = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2000;
var options = new AdmissionOptions { GlobalMaxInflight = 64, LocalCapacity = 2 };
var baseline = await Measure("in-memory", new InMemoryAdmissionGrain(options, new ClusterLoad()), null);

var builder = new InProcessTestClusterBuilder(2);
builder.ConfigureSilo((_, silo) =>
{
    silo.AddSiloKeyedPlacement();
    silo.ConfigureServices(services =>
    {
        services.AddSingleton(options);
        services.AddSingleton<ClusterLoad>();
        services.AddSingleton(sp => new AdmissionHolder(sp.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString(), isSilo: true, capacity: 2));
        services.AddSingleton<ClusterAdmission>();
    });
});
await using var cluster = builder.Build();
await cluster.DeployAsync();
// The grain is activated by the first call; then each silo measures, the grain's own first.
await (await cluster.Silos[0].ServiceProvider.GetRequiredService<ClusterAdmission>().AcquireAsync(Request())).DisposeAsync();
var grainSilo = cluster.Silos.Single(s => cluster.TryGetGrainContext(cluster.Client.GetGrain<IAdmissionGrain>(0).GetGrainId(), out var context)
    && s.SiloAddress.Equals(context.Address.SiloAddress));
foreach (var silo in cluster.Silos.OrderBy(s => s == grainSilo ? 0 : 1))
    await Measure(silo == grainSilo ? "grain, same silo" : "grain, other silo", silo.ServiceProvider.GetRequiredService<ClusterAdmission>(), baseline);

static AdmissionRequest Request() => new("bench-client", "espeak:en-us", 40, TimeSpan.FromSeconds(2));

async Task<double> Measure(string name, IAdmission admission, double? against)
{
    for (var i = 0; i < 200; i++) await (await admission.AcquireAsync(Request())).DisposeAsync();
    var samples = new double[iterations];
    for (var i = 0; i < iterations; i++)
    {
        var start = Stopwatch.GetTimestamp();
        await (await admission.AcquireAsync(Request())).DisposeAsync();
        samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
    }
    Array.Sort(samples);
    double P(double q) => samples[(int)Math.Min(samples.Length - 1, q * samples.Length)];
    var added = against is { } b ? $"  adds {P(0.5) - b:0.000} ms at p50" : "";
    Console.WriteLine($"{name,-18} acquire+release  p50 {P(0.5):0.000} ms  p95 {P(0.95):0.000} ms  p99 {P(0.99):0.000} ms  (n={iterations}){added}");
    return P(0.5);
}

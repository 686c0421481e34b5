// Admission overhead: acquire + release of one permit, uncontended, in one process (the base class's queue alone) and through
// the cluster's admission grain in a two-silo Orleans cluster (in process, real Orleans messaging between the silos): from the
// silo the grain lives on and from the other one, for a client's repeated requests (served from the permits the silo leased)
// and for first requests of new clients (each a call to the grain). Prints each case's percentiles and its p50 less the
// in-memory p50. Then the grain's load: acquire+release cycles per second and calls reaching the grain per request, with 32
// callers on both silos repeating their requests (leases) and with every request from a new client (no lease to reuse), and
// calls per admitted request when requests contend for a small limit.
// Usage: dotnet run -c Release -- [iterations] [seconds]
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
// A limit no case reaches: new clients' leases and lingering permits (up to 9 a client for a quarter of a second) fit in it.
var options = new AdmissionOptions { GlobalMaxInflight = 4096, LocalCapacity = 2 };
var baseline = await Measure("in-memory", new InMemoryAdmissionGrain(options, new ClusterLoad()), null);

var seconds = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 5;
var grainCalls = new GrainCalls();
await using var cluster = await StartAsync(options, grainCalls);
// The grain is activated by the first call; then each silo measures, the grain's own first.
await (await cluster.Silos[0].ServiceProvider.GetRequiredService<ClusterAdmission>().AcquireAsync(Request())).DisposeAsync();
var grainSilo = cluster.Silos.Single(s => cluster.TryGetGrainContext(cluster.Client.GetGrain<IAdmissionGrain>(0).GetGrainId(), out var context)
    && s.SiloAddress.Equals(context.Address.SiloAddress));
foreach (var silo in cluster.Silos.OrderBy(s => s == grainSilo ? 0 : 1))
{
    var where = silo == grainSilo ? "same silo" : "other silo";
    var admission = silo.ServiceProvider.GetRequiredService<ClusterAdmission>();
    await Measure($"lease, {where}", admission, baseline);
    // New clients, paced so that their lingering permits stay far below the limit: every acquire is a call to the grain.
    await Measure($"grain, {where}", admission, baseline, i => $"new-{where}-{i}", Math.Min(iterations, 400));
}

var admissions = cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<ClusterAdmission>()).ToList();

// Uncontended: 32 callers (16 a silo) for the whole time, the limit never reached; each its own client repeating its requests,
// then every request from a new client.
foreach (var (name, newClients) in new[] { ("repeat clients", false), ("new clients", true) })
{
    var cycles = 0L;
    grainCalls.Reset();
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, 32).Select(i => Task.Run(async () =>
    {
        for (var n = 0; clock.Elapsed < TimeSpan.FromSeconds(seconds); n++)
        {
            await (await admissions[i % 2].AcquireAsync(Request(newClients ? $"caller-{i}-{n}" : $"caller-{i}"))).DisposeAsync();
            Interlocked.Increment(ref cycles);
            // New clients' permits linger a quarter of a second each: paced so they stay under the limit.
            if (newClients) await Task.Delay(TimeSpan.FromMilliseconds(20));
        }
    })));
    Console.WriteLine($"grain load, {name,-14} {cycles / clock.Elapsed.TotalSeconds:0} acquire+release/s, {grainCalls.Count / clock.Elapsed.TotalSeconds:0} grain calls/s "
        + $"({grainCalls.Count / (double)cycles:0.000} calls a request; 32 callers on 2 silos, {seconds} s, uncontended)");
    // Let the lingering permits go back before the next case.
    await Task.Delay(TimeSpan.FromSeconds(1));
}

// Contended: a limit of 4, 40 requests at once (20 a silo, 20 clients), each holding its permit 20 ms, 5 rounds.
var contended = new AdmissionOptions { GlobalMaxInflight = 4, LocalCapacity = 2, QueueLimit = 200, DefaultWait = TimeSpan.FromSeconds(30), MaxWait = TimeSpan.FromSeconds(30) };
var contendedCalls = new GrainCalls();
await using (var small = await StartAsync(contended, contendedCalls))
{
    var smallAdmissions = small.Silos.Select(s => s.ServiceProvider.GetRequiredService<ClusterAdmission>()).ToList();
    await (await smallAdmissions[0].AcquireAsync(Request("warm-up", 30))).DisposeAsync();
    contendedCalls.Reset();
    var admitted = 0;
    for (var round = 0; round < 5; round++)
        await Task.WhenAll(Enumerable.Range(0, 40).Select(async i =>
        {
            await using var permit = await smallAdmissions[i % 2].AcquireAsync(Request($"client-{i % 20}", 30));
            Interlocked.Increment(ref admitted);
            await Task.Delay(TimeSpan.FromMilliseconds(20));
        }));
    Console.WriteLine($"contended          {contendedCalls.Count / (double)admitted:0.00} grain calls a request ({contendedCalls.Count} calls for {admitted} requests; limit 4, 40 at once on 2 silos, 20 ms holds)");
}

static AdmissionRequest Request(string client = "bench-client", int waitSeconds = 2) => new(client, "espeak:en-us", 40, TimeSpan.FromSeconds(waitSeconds));

static async Task<InProcessTestCluster> StartAsync(AdmissionOptions options, GrainCalls calls)
{
    var builder = new InProcessTestClusterBuilder(2);
    builder.Options.ConfigureFileLogging = false;
    builder.ConfigureSilo((_, silo) =>
    {
        silo.AddSiloKeyedPlacement();
        silo.AddIncomingGrainCallFilter(context =>
        {
            if (context.InterfaceMethod?.DeclaringType == typeof(IAdmissionGrain)) calls.Add();
            return context.Invoke();
        });
        silo.ConfigureServices(services =>
        {
            services.AddSingleton(options);
            services.AddSingleton<ClusterLoad>();
            services.AddSingleton(sp => new AdmissionHolder(sp.GetRequiredService<ILocalSiloDetails>().SiloAddress.ToParsableString(), isSilo: true, capacity: 2));
            services.AddSingleton<ClusterAdmission>();
        });
    });
    var cluster = builder.Build();
    await cluster.DeployAsync();
    return cluster;
}

async Task<double> Measure(string name, IAdmission admission, double? against, Func<int, string>? client = null, int? count = null)
{
    for (var i = 0; i < 200; i++) await (await admission.AcquireAsync(Request(client?.Invoke(-1 - i) ?? "bench-client"))).DisposeAsync();
    var samples = new double[count ?? iterations];
    for (var i = 0; i < samples.Length; i++)
    {
        var request = Request(client?.Invoke(i) ?? "bench-client");
        var start = Stopwatch.GetTimestamp();
        await (await admission.AcquireAsync(request)).DisposeAsync();
        samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (client is not null) await Task.Delay(TimeSpan.FromMilliseconds(2));
    }
    Array.Sort(samples);
    double P(double q) => samples[(int)Math.Min(samples.Length - 1, q * samples.Length)];
    var added = against is { } b ? $"  adds {P(0.5) - b:0.000} ms at p50" : "";
    Console.WriteLine($"{name,-18} acquire+release  p50 {P(0.5):0.000} ms  p95 {P(0.95):0.000} ms  p99 {P(0.99):0.000} ms  (n={samples.Length}){added}");
    return P(0.5);
}

/// <summary>Calls that reached the admission grain (any of its methods), counted by an incoming call filter on every silo.</summary>
sealed class GrainCalls
{
    private long _count;
    public long Count => Interlocked.Read(ref _count);
    public void Add() => Interlocked.Increment(ref _count);
    public void Reset() => Interlocked.Exchange(ref _count, 0);
}

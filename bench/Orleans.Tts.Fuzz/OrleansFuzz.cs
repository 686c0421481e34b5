using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Tts.ClusterClient;
using Orleans.Tts.Testing;

namespace Orleans.Tts.Fuzz;

/// <summary>
/// A silo in Redis cluster mode (a throwaway redis-server) and an Orleans client host of it, as another .NET service would
/// have: what the command fuzzer needs.
/// </summary>
public sealed class OrleansTarget : IAsyncDisposable
{
    private readonly PrivateRedis _redis;
    private readonly IHost _client;

    private OrleansTarget(PrivateRedis redis, SiloProcess silo, IHost client)
    {
        _redis = redis;
        Silo = silo;
        _client = client;
        Cluster = client.Services.GetRequiredService<ITtsCluster>();
    }

    public SiloProcess Silo { get; }
    public ITtsCluster Cluster { get; }

    /// <param name="workers">The silo's engine hosts: few, so that concurrent cases also meet a busy cluster.</param>
    public static async Task<OrleansTarget> StartAsync(string siloDll, int workers = 2, IReadOnlyDictionary<string, string>? environment = null)
    {
        var redis = new PrivateRedis();
        var id = $"fuzz-{Guid.NewGuid():n}";
        var models = Directory.CreateTempSubdirectory("tts-fuzz-models-");
        var options = new SiloProcessOptions { SiloDllPath = siloDll }
            .WithEnvironment("TTS_REDIS", redis.ConnectionString)
            .WithEnvironment("ORLEANS_SERVICE_ID", id)
            .WithEnvironment("ORLEANS_CLUSTER_ID", id)
            .WithEnvironment("TTS_MODELS_DIR", models.FullName)
            .WithEnvironment("TTS_WORKERS", workers.ToString(System.Globalization.CultureInfo.InvariantCulture))
            .WithEnvironment("Logging__LogLevel__Default", "Warning");
        foreach (var (k, v) in environment ?? new Dictionary<string, string>()) options = options.WithEnvironment(k, v);
        SiloProcess? silo = null;
        try
        {
            silo = await SiloProcess.StartAsync(options);
            var builder = Host.CreateApplicationBuilder();
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.AddTtsOrleansClient(redis.ConnectionString, o => (o.ServiceId, o.ClusterId) = (id, id));
            var client = builder.Build();
            await client.StartAsync();
            return new OrleansTarget(redis, silo, client);
        }
        catch
        {
            if (silo is not null) await silo.DisposeAsync();
            redis.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { await _client.StopAsync(); } catch (Exception) { /* the silo may already be gone */ }
        _client.Dispose();
        await Silo.DisposeAsync();
        _redis.Dispose();
    }
}

/// <summary>The <c>--orleans</c> mode of the fuzzer's command line.</summary>
public static class OrleansFuzz
{
    public static async Task<int> RunAsync(string siloDll, FuzzOptions options, string? replay)
    {
        await using var target = await OrleansTarget.StartAsync(siloDll);
        Console.Error.WriteLine($"[fuzz] silo pid {target.Silo.ProcessId} (Redis cluster mode), Orleans client connected");
        var runner = new CommandFuzzRunner(target.Cluster, options with { ServerPid = target.Silo.ProcessId });
        if (replay is not null)
        {
            var fuzzCase = new CommandGenerator(options.Seed).Case(long.Parse(replay, System.Globalization.CultureInfo.InvariantCulture));
            Console.WriteLine($"case {fuzzCase.Index} [{fuzzCase.Category}] {fuzzCase.Preview(4000)}");
            var (label, failure) = await runner.JudgeAsync(fuzzCase);
            Console.WriteLine($"→ {label}; verdict: {failure ?? "acceptable"}");
            if (Environment.GetEnvironmentVariable("FUZZ_SILO_LOG") is { Length: > 0 } replayLog) await File.WriteAllTextAsync(replayLog, target.Silo.Output);
            return failure is null ? 0 : 1;
        }
        var report = await runner.RunAsync();
        Console.WriteLine(report.Summary());
        if (Environment.GetEnvironmentVariable("FUZZ_SILO_LOG") is { Length: > 0 } log) await File.WriteAllTextAsync(log, target.Silo.Output);
        if (!report.Passed)
            Console.WriteLine(string.Join('\n', target.Silo.Output.Split('\n').Where(l => l.Contains("fail", StringComparison.OrdinalIgnoreCase) || l.Contains("exception", StringComparison.OrdinalIgnoreCase)).Take(60)));
        return report.Passed ? 0 : 1;
    }
}

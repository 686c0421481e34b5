using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Tts.ClusterClient;

namespace Orleans.Tts.ClusterClient.Tests;

/// <summary>
/// A cluster as another .NET service sees it: a throwaway redis-server, one silo (the real Program, with its REST API) whose
/// membership is in that Redis, and a separate host that joins it through <see cref="TtsClusterExtensions.AddTtsOrleansClient(IServiceCollection, string, Action{TtsClusterOptions}?, Microsoft.Extensions.Configuration.IConfiguration?)"/>.
/// One worker, so one held permit makes the cluster busy.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private Process? _redis;
    private string? _redisDir;
    private IHost? _client;

    public SiloApp Silo { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public ITtsCluster Tts { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var redisPort = FreePort();
        _redisDir = Directory.CreateTempSubdirectory("tts-facade-redis-").FullName;
        _redis = Process.Start(new ProcessStartInfo("redis-server", ["--port", $"{redisPort}", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", _redisDir])
        {
            RedirectStandardOutput = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException("redis-server did not start (apt-get install redis-server).");
        _redis.OutputDataReceived += (_, _) => { };
        _redis.BeginOutputReadLine();
        await Poll.UntilAsync(() => Task.FromResult(Accepts(redisPort)), TimeSpan.FromSeconds(20), $"redis-server on port {redisPort}");

        var redis = $"127.0.0.1:{redisPort}";
        var clusterId = $"facade-tests-{Guid.NewGuid():n}";
        Silo = new SiloApp(new Dictionary<string, string>
        {
            ["TTS_REDIS"] = redis,
            ["ORLEANS_CLUSTER_ID"] = clusterId,
            ["TTS_SILO_PORT"] = $"{FreePort()}",
            ["TTS_GATEWAY_PORT"] = $"{FreePort()}",
            ["TTS_WORKERS"] = "1",
        });
        Http = Silo.CreateClient();

        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddTtsOrleansClient(redis, o => o.ClusterId = clusterId);
        _client = builder.Build();
        await _client.StartAsync();
        Tts = _client.Services.GetRequiredService<ITtsCluster>();
    }

    public async Task DisposeAsync()
    {
        if (_client is not null)
        {
            await _client.StopAsync();
            _client.Dispose();
        }
        if (Silo is not null) await Silo.DisposeAsync();
        if (_redis is not null)
        {
            _redis.Kill();
            await _redis.WaitForExitAsync();
            _redis.Dispose();
        }
        if (_redisDir is not null) Directory.Delete(_redisDir, recursive: true);
    }

    private static bool Accepts(int port)
    {
        try
        {
            using var socket = new TcpClient();
            socket.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

/// <summary>The silo process's Program in this process, with the given TTS_* settings.</summary>
public sealed class SiloApp(IReadOnlyDictionary<string, string> settings) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
    }
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "facade cluster";
}

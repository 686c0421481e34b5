using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Tts.ClusterClient;

namespace Orleans.Tts.ClusterClient.Tests;

/// <summary>
/// A cluster as another .NET service sees it: a throwaway redis-server, one silo (the real Program, with its REST API) whose
/// membership is in that Redis, and a separate host that joins it through <see cref="TtsClusterExtensions.AddTtsOrleansClient(IServiceCollection, string, Action{TtsClusterOptions}?, Microsoft.Extensions.Configuration.IConfiguration?)"/>.
/// One worker a silo, so one held permit makes a one-silo cluster busy.
/// </summary>
public abstract class ClusterFixture(int silos) : IAsyncLifetime
{
    private Process? _redis;
    private string? _redisDir;
    private IHost? _client;

    /// <summary>The first silo.</summary>
    public SiloApp Silo => Silos[0];

    public IReadOnlyList<SiloApp> Silos { get; private set; } = [];
    public HttpClient Http { get; private set; } = null!;
    public ITtsCluster Tts { get; private set; } = null!;

    /// <summary>Settings every silo gets besides (or instead of) the fixture's own.</summary>
    protected virtual IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    /// <summary>Changes to every silo's services, after the Program's own.</summary>
    protected virtual void ConfigureSilo(IServiceCollection services) { }

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
        var started = new List<SiloApp>();
        for (var i = 0; i < silos; i++)
        {
            var settings = new Dictionary<string, string>
            {
                ["TTS_REDIS"] = redis,
                ["ORLEANS_CLUSTER_ID"] = clusterId,
                ["TTS_SILO_PORT"] = $"{FreePort()}",
                ["TTS_GATEWAY_PORT"] = $"{FreePort()}",
                ["TTS_WORKERS"] = "1",
            };
            foreach (var (key, value) in Settings) settings[key] = value;
            var silo = new SiloApp(settings, ConfigureSilo);
            started.Add(silo);
            // Creating a client starts the silo; each is active in the membership table before the next one starts.
            var http = silo.CreateClient();
            if (i == 0) Http = http;
        }
        Silos = started;

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
        foreach (var silo in Silos) await silo.DisposeAsync();
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
public sealed class SiloApp(IReadOnlyDictionary<string, string> settings, Action<IServiceCollection>? services = null) : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
        if (services is not null) builder.ConfigureTestServices(services); // after the Program's own registrations
    }
}

public sealed class OneSiloCluster() : ClusterFixture(1);

public sealed class TwoSiloCluster() : ClusterFixture(2);

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<OneSiloCluster>
{
    public const string Name = "facade cluster";
}

[CollectionDefinition(Name)]
public sealed class TwoSiloCollection : ICollectionFixture<TwoSiloCluster>
{
    public const string Name = "facade cluster of two silos";
}

using System.Diagnostics;
using System.Globalization;
using Orleans.Tts.Testing;
using Orleans.Tts.Bench;
using SiloProcess = Orleans.Tts.Testing.SiloProcess;

namespace Orleans.Tts.Reliability;

/// <summary>How the scenario cluster is laid out.</summary>
/// <param name="Silos">Silo processes behind the frontend.</param>
/// <param name="WorkersPerSilo">TTS_WORKERS of each silo.</param>
/// <param name="DeadSiloSeconds">The failure-detection target: capacity must be back this long after a kill -9 (Orleans declares a silo dead in ~3 s with the default probes).</param>
public sealed record ClusterLayout(string Root, string SiloDll, int Silos, int WorkersPerSilo, int DeadSiloSeconds);

/// <summary>
/// What <c>./tts cluster</c> starts — a throwaway redis-server (Orleans membership, grain state, cache, jobs), N silos and one
/// <c>--role frontend</c> — owned by the scenario, so it can kill -9, SIGTERM, restart silos and stop Redis.
/// Every silo start gets a fresh id (<c>silo-I-gG</c>), as a replacement pod would.
/// </summary>
public sealed class LoopbackCluster : IAsyncDisposable
{
    private readonly ClusterLayout _layout;
    private readonly PrivateRedis _redis;
    private readonly SiloProcess?[] _silos;
    private readonly int[] _generation;
    private readonly List<SiloProcess> _retired = [];
    private readonly List<SiloProcess> _added = [];
    private int _addedCount;
    private SiloProcess? _frontend;

    private LoopbackCluster(ClusterLayout layout, PrivateRedis redis)
    {
        _layout = layout;
        _redis = redis;
        ClusterId = $"reliability-{Environment.ProcessId}";
        _silos = new SiloProcess?[layout.Silos];
        _generation = new int[layout.Silos];
    }

    /// <summary>The cluster's Redis (<c>TTS_REDIS</c>).</summary>
    public string ConnectionString => _redis.ConnectionString;
    public string ClusterId { get; }
    public SiloProcess Frontend => _frontend ?? throw new InvalidOperationException("The frontend is not running.");
    public IReadOnlyList<SiloProcess?> Silos => _silos;
    public ClusterLayout Layout => _layout;

    public static async Task<LoopbackCluster> StartAsync(ClusterLayout layout, TextWriter log)
    {
        var cluster = new LoopbackCluster(layout, new PrivateRedis());
        try
        {
            await Task.WhenAll(Enumerable.Range(0, layout.Silos).Select(cluster.StartSiloAsync));
            cluster._frontend = await SiloProcess.StartAsync(cluster.Options("frontend", new()
            {
                ["TTS_SILOS_REFRESH_MS"] = "500",
            }) with { Arguments = ["--role", "frontend"] });
            await cluster.WaitFrontendSeesAsync(layout.Silos, TimeSpan.FromSeconds(30));
            log.WriteLine($"Cluster: Redis + {layout.Silos} silos × {layout.WorkersPerSilo} workers + frontend {cluster.Frontend.BaseAddress} (capacity back within {layout.DeadSiloSeconds} s of a kill)");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    private SiloProcessOptions Options(string id, Dictionary<string, string> extra)
    {
        var o = new SiloProcessOptions { SiloDllPath = _layout.SiloDll, MaxOutputLines = 400 }
            .WithEnvironment("TTS_SILO_ID", id)
            .WithEnvironment("TTS_REDIS", ConnectionString)
            .WithEnvironment("ORLEANS_CLUSTER_ID", ClusterId)
            .WithEnvironment("ORLEANS_SERVICE_ID", ClusterId)
            .WithEnvironment("TTS_WORKERS", _layout.WorkersPerSilo.ToString(CultureInfo.InvariantCulture))
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Production")
            .WithEnvironment("Logging__LogLevel__Default", "Warning");
        foreach (var (k, v) in extra) o = o.WithEnvironment(k, v);
        // RELIABILITY_LOGS=<dir>: every process's output, time-stamped, in <dir>/<id>.log (to see why a fault cost what it did).
        if (Environment.GetEnvironmentVariable("RELIABILITY_LOGS") is { Length: > 0 } dir)
        {
            Directory.CreateDirectory(dir);
            var file = TextWriter.Synchronized(new StreamWriter(Path.Combine(dir, id + ".log"), append: true) { AutoFlush = true });
            o = (o with { OnOutput = line => file.WriteLine($"{DateTime.UtcNow:HH:mm:ss.fff} {line}") })
                .WithEnvironment("Logging__LogLevel__Orleans.Runtime.MembershipService", "Information")
                .WithEnvironment("Logging__LogLevel__Orleans.Tts.Grains.Admission", "Information");
        }
        return o;
    }

    /// <summary>Starts silo slot <paramref name="slot"/> under a new id; returns once it is ready.</summary>
    public async Task StartSiloAsync(int slot)
    {
        var id = $"silo-{slot + 1}-g{++_generation[slot]}";
        _silos[slot] = await SiloProcess.StartAsync(Options(id, new()));
    }

    /// <summary>A silo beyond the layout's (a scale-out: <c>helm upgrade --set replicaCount=N+1</c>); returns once it is ready.</summary>
    public async Task<SiloProcess> AddSiloAsync()
    {
        var silo = await SiloProcess.StartAsync(Options($"silo-added-{Interlocked.Increment(ref _addedCount)}", new()));
        lock (_added) _added.Add(silo);
        return silo;
    }

    /// <summary>SIGTERM of the silo added last (a scale-in) and its drain; returns its id and exit code.</summary>
    public async Task<(string Id, int ExitCode)> RemoveAddedAsync(TimeSpan timeout)
    {
        SiloProcess silo;
        lock (_added)
        {
            silo = _added[^1];
            _added.RemoveAt(_added.Count - 1);
        }
        silo.Terminate();
        var code = await silo.WaitForExitAsync(timeout);
        lock (_retired) _retired.Add(silo);
        return (silo.Id, code);
    }

    /// <summary>kill -9 of the silo in <paramref name="slot"/> and its engine hosts.</summary>
    public SiloProcess Kill(int slot)
    {
        var silo = _silos[slot] ?? throw new InvalidOperationException($"Slot {slot} is empty.");
        silo.Kill();
        _silos[slot] = null;
        _retired.Add(silo);
        return silo;
    }

    /// <summary>
    /// A rolling-update step as the Helm chart does it (maxSurge, maxUnavailable 0): start the replacement, wait until the
    /// frontend routes to it, then SIGTERM the old silo and wait for its drain to end. Returns the old id, its exit code,
    /// seconds until the replacement was routable and seconds the drain took.
    /// </summary>
    public async Task<(string Old, string New, int ExitCode, double StartSeconds, double DrainSeconds)> ReplaceAsync(int slot, TimeSpan timeout)
    {
        var old = _silos[slot] ?? throw new InvalidOperationException($"Slot {slot} is empty.");
        var clock = Stopwatch.StartNew();
        await StartSiloAsync(slot);
        var id = _silos[slot]!.Id;
        await Poll.UntilAsync(async () => (await FrontendSilosAsync()).Contains(id), timeout, $"{id} routable", TimeSpan.FromMilliseconds(100));
        var started = clock.Elapsed.TotalSeconds;
        old.Terminate();
        var code = await old.WaitForExitAsync(timeout);
        _retired.Add(old);
        return (old.Id, id, code, started, clock.Elapsed.TotalSeconds - started);
    }

    /// <summary>Polls the frontend's /ready until it routes to exactly <paramref name="silos"/> silos; returns how long that took.</summary>
    public async Task<TimeSpan> WaitFrontendSeesAsync(int silos, TimeSpan deadline)
    {
        var clock = Stopwatch.StartNew();
        await Poll.UntilAsync(async () => (await FrontendSilosAsync()).Length == silos, deadline, $"the frontend routes to {silos} silos", TimeSpan.FromMilliseconds(100));
        return clock.Elapsed;
    }

    public async Task<string[]> FrontendSilosAsync()
    {
        try
        {
            var ready = await ReadyDetailsAsync(Frontend);
            return ready.TryGetValue("frontend.silos", out var s) && s.Length > 0 ? s.Split(',') : [];
        }
        catch (HttpRequestException)
        {
            return [];
        }
    }

    public static async Task<Dictionary<string, string>> ReadyDetailsAsync(SiloProcess process)
    {
        using var response = await process.HttpClient.GetAsync("/ready");
        var json = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        var details = json.GetProperty("details").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ToString());
        details["status"] = json.GetProperty("status").GetString() ?? "";
        details["http"] = ((int)response.StatusCode).ToString(CultureInfo.InvariantCulture);
        return details;
    }

    /// <summary>One unlabelled value of <paramref name="process"/>'s /metrics (NaN when absent).</summary>
    public static async Task<double> MetricAsync(SiloProcess process, string name)
    {
        var text = await process.HttpClient.GetStringAsync("/metrics");
        // "name value" or, from the OpenTelemetry exporter, "name{labels} value [timestamp]".
        var line = text.Split('\n').FirstOrDefault(l => l.StartsWith(name, StringComparison.Ordinal) && l.Length > name.Length && l[name.Length] is ' ' or '{');
        if (line is null) return double.NaN;
        var value = line[(line.IndexOf('}') is var close and >= 0 ? close + 1 : name.Length)..].Trim().Split(' ')[0];
        return double.Parse(value, CultureInfo.InvariantCulture);
    }

    /// <summary>Stops the cluster's Redis (SIGKILL: what a crashed server or a lost node looks like); its AOF stays.</summary>
    public void StopRedis() => _redis.Stop();

    /// <summary>Starts Redis again on the same port and data directory (it replays its AOF).</summary>
    public void StartRedis() => _redis.Start();

    /// <summary>Permits in use cluster-wide, as the admission grain counts them (the frontend's /cluster).</summary>
    public async Task<int> PermitsInUseAsync()
    {
        var json = System.Text.Json.JsonDocument.Parse(await Frontend.HttpClient.GetStringAsync("/cluster")).RootElement;
        return json.GetProperty("cluster").GetProperty("permitsInUse").GetInt32();
    }

    /// <summary>RSS in MiB of every live silo (with its engine hosts) and of the frontend.</summary>
    public (double Silos, double Frontend, double LargestSilo) MemoryMiB()
    {
        double Tree(int pid) => (ProcFs.RssKiB(pid) + ProcFs.Descendants(pid).Sum(ProcFs.RssKiB)) / 1024.0;
        var silos = _silos.Where(s => s is { HasExited: false }).Select(s => Tree(s!.ProcessId)).ToList();
        return (silos.Sum(), _frontend is { HasExited: false } f ? ProcFs.RssKiB(f.ProcessId) / 1024.0 : 0, silos.DefaultIfEmpty(0).Max());
    }

    /// <summary>RSS in MiB of the live silo processes alone and of their engine hosts (child processes), summed over the silos.</summary>
    public (double Silos, double EngineHosts) SiloMemoryMiB()
    {
        var live = _silos.Where(s => s is { HasExited: false }).Select(s => s!.ProcessId).ToList();
        return (live.Sum(ProcFs.RssKiB) / 1024.0, live.Sum(pid => ProcFs.Descendants(pid).Sum(ProcFs.RssKiB)) / 1024.0);
    }

    public async ValueTask DisposeAsync()
    {
        if (_frontend is not null) await _frontend.DisposeAsync();
        foreach (var s in _silos) if (s is not null) await s.DisposeAsync();
        foreach (var s in _added) await s.DisposeAsync();
        foreach (var s in _retired) await s.DisposeAsync();
        _redis.Dispose();
    }
}

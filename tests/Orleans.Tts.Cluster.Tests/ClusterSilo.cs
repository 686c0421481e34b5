namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// How the cluster tests start silos: one worker, an Orleans cluster in the tests' Redis under the test's own service and cluster
/// id (<see cref="TestClusters"/>: the silos of one test form one cluster and never meet another test's; their result cache and job
/// audio are keyed under that id too), and fast failure detection.
/// </summary>
public static class ClusterSilo
{
    public static SiloProcessOptions Options(string id, string clusterId, IReadOnlyDictionary<string, string>? extra = null)
    {
        var options = new SiloProcessOptions()
            .WithEnvironment("TTS_SILO_ID", id)
            .WithEnvironment("TTS_REDIS", RedisServer.ConnectionString)
            .WithEnvironment("ORLEANS_CLUSTER_ID", clusterId)
            .WithEnvironment("ORLEANS_SERVICE_ID", clusterId)
            .WithEnvironment("TTS_WORKERS", "1")
            .WithEnvironment("TTS_PROBE_TIMEOUT_MS", "1000")
            .WithEnvironment("TTS_MISSED_PROBES", "2")
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Production")
            .WithEnvironment("Logging__LogLevel__Default", "Information");
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) options = options.WithEnvironment(k, v);
        return options;
    }

    /// <summary>
    /// <paramref name="count"/> silos, and a <c>--role frontend</c> (an Orleans client) in front of them (silo list
    /// refreshed every 100 ms, one client may take every permit); returns once the frontend sees every silo.
    /// </summary>
    public static async Task<(SiloProcess[] Silos, SiloProcess Frontend)> StartWithFrontendAsync(string clusterId, string prefix, int count,
        IReadOnlyDictionary<string, string>? siloExtra = null, IReadOnlyDictionary<string, string>? frontendExtra = null)
    {
        var silos = await SiloProcess.StartManyAsync(count, i => Options($"{prefix}{i}", clusterId, new Dictionary<string, string>(siloExtra ?? new Dictionary<string, string>())
        {
        }));
        var frontend = await SiloProcess.StartAsync(Options($"{prefix}front", clusterId, new Dictionary<string, string>(frontendExtra ?? new Dictionary<string, string>())
        {
            ["TTS_SILOS_REFRESH_MS"] = "100", ["TTS_GLOBAL_MAX_INFLIGHT"] = "8", ["TTS_CLIENT_MAX_SHARE"] = "1",
        }) with { Arguments = ["--role", "frontend"] });
        await Poll.UntilAsync(async () =>
            (await frontend.HttpClient.ReadyAsync()).GetProperty("details").GetProperty("frontend.silos").GetString()!.Split(',').Length == count,
            TimeSpan.FromSeconds(10), $"the frontend sees the {count} silos");
        return (silos, frontend);
    }

    /// <summary>Sentences synthesised by the silos still running.</summary>
    public static async Task<long[]> SentencesPerSiloAsync(IEnumerable<SiloProcess> silos) =>
        await Task.WhenAll(silos.Where(s => !s.HasExited).Select(async s => (await s.HttpClient.ReadyAsync()).SentencesSynthesized()));

    /// <summary>Sentences synthesised by the silos once the count has stopped moving (the same on two reads 300 ms apart).</summary>
    public static async Task<long> SettledSentencesAsync(IReadOnlyList<SiloProcess> silos)
    {
        long settled = -1;
        await Poll.UntilAsync(async () =>
        {
            var now = (await SentencesPerSiloAsync(silos)).Sum();
            var stable = now == settled;
            settled = now;
            return stable;
        }, TimeSpan.FromSeconds(5), "the sentence counters stop moving", TimeSpan.FromMilliseconds(300));
        return settled;
    }
}

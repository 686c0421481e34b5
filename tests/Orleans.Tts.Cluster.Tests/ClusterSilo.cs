namespace Orleans.Tts.Cluster.Tests;

/// <summary>How the cluster tests start silos: one worker, fast heartbeats, dead after 2 s, sharing one database.</summary>
public static class ClusterSilo
{
    public static SiloOptions Options(string id, string database, IReadOnlyDictionary<string, string>? extra = null)
    {
        var options = new SiloOptions()
            .WithEnvironment("TTS_SILO_ID", id)
            .WithEnvironment("TTS_POSTGRES", database)
            .WithEnvironment("TTS_WORKERS", "1")
            .WithEnvironment("TTS_HEARTBEAT_MS", "200")
            .WithEnvironment("TTS_DEAD_SILO_SECONDS", "2")
            .WithEnvironment("ASPNETCORE_ENVIRONMENT", "Production")
            .WithEnvironment("Logging__LogLevel__Default", "Information");
        foreach (var (k, v) in extra ?? new Dictionary<string, string>()) options = options.WithEnvironment(k, v);
        return options;
    }
}

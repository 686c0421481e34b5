using System.Net;
using System.Net.Sockets;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Streams;
using Orleans.Tts.Synthesis;
using StackExchange.Redis;

namespace Orleans.Tts.Silo;

/// <summary>The Orleans side of a process: a silo co-hosted with the REST API, or (for <c>--role frontend</c>) a client.</summary>
public static class OrleansHosting
{
    /// <summary>
    /// A silo in this process. With <c>TTS_REDIS</c> (a StackExchange.Redis configuration string) silos form one cluster through
    /// Redis membership and keep grain state and reminders there; without it the silo is a cluster of one on loopback with
    /// in-memory storage (the embedded default, no Redis needed).
    /// </summary>
    public static WebApplicationBuilder AddOrleansSilo(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var redis = Redis(config);
        var kubernetes = KubernetesHosting.Decide(config);
        builder.Services.AddSingleton(kubernetes).AddHostedService<KubernetesHostingLog>().AddHostedService<SiloDeathWatch>();
        var dashboard = Dashboard(config);
        builder.UseOrleans(silo =>
        {
            silo.Configure<ClusterOptions>(o => (o.ServiceId, o.ClusterId) = Ids(config));
            // The membership table then carries every silo's TTS_SILO_ID, so /cluster names even a silo that died before it was asked.
            silo.Services.AddOptions<SiloOptions>().Configure<Orleans.Tts.Grains.Cluster.TtsClusterOptions>((o, cluster) => o.SiloName = cluster.Self.Id);
            silo.AddSiloKeyedPlacement();
            AddStreams(silo);
            if (redis is null)
            {
                // No gateway unless asked for: nothing outside this process needs to reach an embedded silo.
                silo.UseLocalhostClustering(Port(config, "TTS_SILO_PORT") ?? FreeLoopbackPort(), Port(config, "TTS_GATEWAY_PORT") ?? 0);
                silo.AddMemoryGrainStorage(StorageName);
                silo.AddMemoryGrainStorage(TtsStreams.PubSubStore);
                silo.UseInMemoryReminderService();
            }
            else
            {
                silo.UseRedisClustering(o => o.ConfigurationOptions = redis);
                silo.AddRedisGrainStorage(StorageName, o => o.ConfigurationOptions = redis);
                silo.AddRedisGrainStorage(TtsStreams.PubSubStore, o => o.ConfigurationOptions = redis);
                silo.UseRedisReminderService(o => o.ConfigurationOptions = redis);
                silo.ConfigureEndpoints(AdvertisedAddress(config), Port(config, "TTS_SILO_PORT") ?? EndpointOptions.DEFAULT_SILO_PORT,
                    Port(config, "TTS_GATEWAY_PORT") ?? EndpointOptions.DEFAULT_GATEWAY_PORT, listenOnAnyHostAddress: true);
                silo.Configure<ClusterMembershipOptions>(o => FailureDetection(o, config));
                KubernetesHosting.Apply(silo, kubernetes);
            }
            if (dashboard) silo.AddDashboard();
        });
        return builder;
    }

    /// <summary>
    /// An Orleans client of the silos in <c>TTS_REDIS</c> (the frontend tier): it reads the gateways from the membership table,
    /// and keeps trying to connect while no silo is up yet (a frontend may start first).
    /// </summary>
    public static WebApplicationBuilder AddOrleansClient(this WebApplicationBuilder builder)
    {
        var config = builder.Configuration;
        var redis = Redis(config) ?? throw new InvalidOperationException(
            "--role frontend needs TTS_REDIS (the cluster's Redis, a StackExchange.Redis configuration string such as 127.0.0.1:6379): it finds the silos in Orleans' membership table there.");
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ServiceId, o.ClusterId) = Ids(config));
            client.UseRedisClustering(o => o.ConfigurationOptions = redis);
            AddStreams(client);
            if (Dashboard(config)) client.AddDashboard();
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            client.UseConnectionRetryFilter(async (_, ct) =>
            {
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                return true;
            });
        });
        return builder;
    }

    /// <summary>
    /// The cluster's one stream provider (<see cref="TtsStreams.Provider"/>), the same on silos and clients: memory streams, which
    /// fan a message out to subscribers in every process (job progress today). Not durable: subscribers re-read state after
    /// subscribing. Its subscriptions live in the <see cref="TtsStreams.PubSubStore"/> grain storage each silo adds next to
    /// <see cref="StorageName"/> (Redis with TTS_REDIS, else memory). One queue, not Orleans' default eight: each queue's pulling
    /// agent polls ten times a second on every silo, which was a third of an idle silo's CPU (29 → 20 ms/s), and the traffic (model
    /// reloads, job progress) is a few messages a second.
    /// </summary>
    private static void AddStreams(ISiloBuilder silo) => silo.AddMemoryStreams(TtsStreams.Provider, b => b.ConfigurePartitioning(1));

    private static void AddStreams(IClientBuilder client) => client.AddMemoryStreams(TtsStreams.Provider, b => b.ConfigurePartitioning(1));

    /// <summary>
    /// The Orleans Dashboard (<c>/dashboard</c>, admin key when keys are configured): on in a cluster (<c>TTS_REDIS</c>), off for the
    /// embedded single silo unless <c>TTS_DASHBOARD=true</c>; <c>TTS_DASHBOARD=false</c> turns it off. It costs 70–90 MB of resident
    /// memory (its web assets and statistics history; measured on an idle silo, README) and a filter on every grain call, more
    /// than a one-process <c>./tts serve</c> should pay by default.
    /// </summary>
    public static bool Dashboard(IConfiguration config) => Setting.Flag(config, "TTS_DASHBOARD", config["TTS_REDIS"] is { Length: > 0 });

    /// <summary>The grain storage of the cluster's state (speakers, jobs): Redis with <c>TTS_REDIS</c>, else memory.</summary>
    public const string StorageName = Grains.GrainStorage.Name;

    private static ConfigurationOptions? Redis(IConfiguration config) =>
        RedisSettings.Parse(config, "TTS_REDIS", "the cluster (Orleans membership, grain state, reminders)");

    /// <summary><c>ORLEANS_SERVICE_ID</c> and <c>ORLEANS_CLUSTER_ID</c> (as Kubernetes hosting sets them), default <c>orleans-tts</c>.</summary>
    private static (string ServiceId, string ClusterId) Ids(IConfiguration config) =>
        (config["ORLEANS_SERVICE_ID"] is { Length: > 0 } s ? s : "orleans-tts", config["ORLEANS_CLUSTER_ID"] is { Length: > 0 } c ? c : "orleans-tts");

    /// <summary>
    /// How fast a silo that stopped answering (kill -9, a lost node) is declared dead: probes every
    /// <c>TTS_PROBE_TIMEOUT_MS</c> (2000), dead after <c>TTS_MISSED_PROBES</c> (2) missed in a row and two votes.
    /// bench/RESULTS.md has the measured detection time.
    /// </summary>
    private static void FailureDetection(ClusterMembershipOptions options, IConfiguration config)
    {
        options.ProbeTimeout = TimeSpan.FromMilliseconds(Setting.PositiveInt(config, "TTS_PROBE_TIMEOUT_MS", 2000, min: 200));
        options.NumMissedProbesLimit = Setting.PositiveInt(config, "TTS_MISSED_PROBES", 2, max: 10);
        options.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(10);
    }

    /// <summary>The address other silos and clients reach this one at: <c>TTS_ADVERTISE_IP</c>, <c>POD_IP</c>, <c>TTS_HOST</c> when specific, else loopback.</summary>
    private static IPAddress AdvertisedAddress(IConfiguration config)
    {
        foreach (var candidate in new[] { config["TTS_ADVERTISE_IP"], config["POD_IP"], config["TTS_HOST"] })
            if (IPAddress.TryParse(candidate, out var ip) && !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any)) return ip;
        return IPAddress.Loopback;
    }

    private static int? Port(IConfiguration config, string name) =>
        config[name] is { Length: > 0 } ? Setting.PositiveInt(config, name, 1, min: 0, max: 65535) : null;

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}

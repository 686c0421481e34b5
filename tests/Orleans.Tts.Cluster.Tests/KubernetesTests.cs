using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Orleans.Tts.Silo;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// What the Helm chart relies on, on loopback: silos started with a pod's environment form one cluster, Orleans' Kubernetes hosting
/// switches on only in a pod, and resizing the silo tier (as <c>helm upgrade --set silo.replicas=N</c> does) under load fails no
/// request.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class KubernetesTests(TestClusters clusters)
{
    private static IConfiguration Config(params (string Key, string Value)[] settings) =>
        new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => new KeyValuePair<string, string?>(s.Key, s.Value))).Build();

    private static readonly (string, string)[] Pod = [("KUBERNETES_SERVICE_HOST", "10.96.0.1"), ("POD_NAME", "tts-silo-0"), ("TTS_REDIS", "127.0.0.1:6379")];

    [Fact]
    public void Kubernetes_hosting_is_on_only_in_a_pod_with_redis_and_a_setting_turns_it_off_or_insists()
    {
        Assert.False(KubernetesHosting.Decide(Config()).Enabled);
        Assert.False(KubernetesHosting.Decide(Config(("TTS_REDIS", "127.0.0.1:6379"))).Enabled);
        Assert.False(KubernetesHosting.Decide(Config(("POD_NAME", "tts-silo-0"), ("TTS_REDIS", "127.0.0.1:6379"))).Enabled);
        Assert.False(KubernetesHosting.Decide(Config(("KUBERNETES_SERVICE_HOST", "10.96.0.1"), ("POD_NAME", "tts-silo-0"))).Enabled);
        var inPod = KubernetesHosting.Decide(Config(Pod));
        Assert.True(inPod.Enabled);
        Assert.False(inPod.DeleteDefunctPods);
        Assert.True(KubernetesHosting.Decide(Config([.. Pod, ("TTS_KUBERNETES_DELETE_DEFUNCT_PODS", "true")])).DeleteDefunctPods);
        Assert.False(KubernetesHosting.Decide(Config([.. Pod, ("TTS_KUBERNETES_HOSTING", "false")])).Enabled);
        Assert.True(KubernetesHosting.Decide(Config([.. Pod, ("TTS_KUBERNETES_HOSTING", "true")])).Enabled);

        Assert.Contains("not in a Kubernetes pod", Assert.Throws<InvalidOperationException>(() =>
            KubernetesHosting.Decide(Config(("TTS_KUBERNETES_HOSTING", "true"), ("TTS_REDIS", "127.0.0.1:6379")))).Message);
        Assert.Contains("use true, false", Assert.Throws<InvalidOperationException>(() => KubernetesHosting.Decide(Config([.. Pod, ("TTS_KUBERNETES_HOSTING", "yes")]))).Message);
        Assert.Contains("use true or false", Assert.Throws<InvalidOperationException>(() =>
            KubernetesHosting.Decide(Config([.. Pod, ("TTS_KUBERNETES_DELETE_DEFUNCT_PODS", "1")]))).Message);
    }

    /// <summary>The pod environment the chart gives a silo: downward-API pod name, namespace and IP, and the cluster ids.</summary>
    private static Dictionary<string, string> PodEnvironment(string pod, string kubernetesHosting) => new()
    {
        ["POD_NAME"] = pod, ["POD_NAMESPACE"] = "tts", ["POD_IP"] = "127.0.0.1", ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1", ["KUBERNETES_SERVICE_PORT"] = "1",
        ["TTS_KUBERNETES_HOSTING"] = kubernetesHosting,
    };

    [Fact]
    public async Task Silos_started_with_a_pods_environment_form_one_cluster_with_kubernetes_hosting_switched_off_and_count_a_killed_peer_as_declared_dead()
    {
        var db = await clusters.NewAsync();
        // No API server here, so Kubernetes hosting is switched off as the chart's value does; the silos still find each other
        // in Redis and advertise POD_IP.
        await using var a = await SiloProcess.StartAsync(ClusterSilo.Options("tts-silo-a", db, PodEnvironment("tts-silo-a", "false")));
        await using var b = await SiloProcess.StartAsync(ClusterSilo.Options("tts-silo-b", db, PodEnvironment("tts-silo-b", "false")));
        foreach (var silo in new[] { a, b })
        {
            // By name: a peer's name reaches the view a moment after the peer itself (its address stands in until then).
            await Poll.UntilAsync(async () => ActiveMembers(await silo.HttpClient.ClusterAsync()).Select(m => m.GetProperty("id").GetString()).Order()
                .SequenceEqual(["tts-silo-a", "tts-silo-b"]), TimeSpan.FromSeconds(30), $"{silo.Id} sees both silos by name");
            Assert.Contains("Orleans Kubernetes hosting off: TTS_KUBERNETES_HOSTING=false", silo.Output);
        }
        var members = ActiveMembers(await a.HttpClient.ClusterAsync());
        Assert.Equal(["tts-silo-a", "tts-silo-b"], members.Select(m => m.GetProperty("id").GetString()).Order());
        Assert.All(members, m => Assert.StartsWith("127.0.0.1", m.GetProperty("address").GetString()));

        // Left to decide by itself in that environment, a silo turns Kubernetes hosting on, whose agent reads the in-cluster API
        // configuration (the service account token) when the silo starts: there is none here, so the start fails, saying so.
        var start = Stopwatch.StartNew();
        var failed = await Assert.ThrowsAsync<SiloStartException>(() =>
            SiloProcess.StartAsync(ClusterSilo.Options("tts-silo-c", db, PodEnvironment("tts-silo-c", "")) with { ReadyTimeout = TimeSpan.FromSeconds(60) }));
        Assert.Contains("KubeConfigException: Unable to load in-cluster configuration", failed.Output);
        Assert.Contains("exited", failed.Message);
        Assert.True(start.Elapsed < TimeSpan.FromSeconds(60), "the silo did not stop by itself");

        // A silo that dies without a goodbye is declared dead by its peer, which counts it (the TtsSiloDeclaredDead alert).
        Assert.Equal(0, await DeclaredDeadAsync(a));
        b.Kill();
        await Poll.UntilAsync(async () => await DeclaredDeadAsync(a) == 1, TimeSpan.FromSeconds(60), "a counts b as declared dead", TimeSpan.FromMilliseconds(250));
    }

    /// <summary>tts_silos_declared_dead_total on this silo's /metrics (0 before the first).</summary>
    private static async Task<double> DeclaredDeadAsync(SiloProcess silo) =>
        (await silo.HttpClient.GetStringAsync("/metrics")).Split('\n')
            .Where(l => l.StartsWith("tts_silos_declared_dead_total", StringComparison.Ordinal))
            .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    private static List<JsonElement> ActiveMembers(JsonElement cluster) =>
        cluster.GetProperty("cluster").GetProperty("members").EnumerateArray().Where(m => m.GetProperty("status").GetString() == "active").ToList();

    private static async Task<int> FrontendSilosAsync(SiloProcess frontend) =>
        (await frontend.HttpClient.ReadyAsync()).GetProperty("details").GetProperty("frontend.silos").GetString()!.Split(',', StringSplitOptions.RemoveEmptyEntries).Length;

    [Fact]
    public async Task Adding_two_silos_to_three_and_removing_them_again_under_steady_load_fails_no_request()
    {
        var db = await clusters.NewAsync();
        // Requests wait for a permit rather than being refused after the default 2 s: the machine these tests share may be slow,
        // and what is under test is the resize, not admission under overload.
        var patient = new Dictionary<string, string> { ["TTS_ADMISSION_WAIT_MS"] = "60000" };
        var (silos, frontend) = await ClusterSilo.StartWithFrontendAsync(db, "rs", 3, patient, patient);
        SiloProcess[] added = [];
        try
        {
            // In a cluster the Orleans Dashboard is on, on silos and on the frontend (an Orleans client); no API keys here, so open.
            foreach (var process in new[] { silos[0], frontend })
            {
                Assert.Equal(HttpStatusCode.OK, (await process.HttpClient.GetAsync("/dashboard/")).StatusCode);
                using var stats = await process.HttpClient.GetAsync("/dashboard/ClusterStats");
                Assert.True(stats.StatusCode == HttpStatusCode.OK, $"{process.Id}: /dashboard/ClusterStats {(int)stats.StatusCode}: {await stats.Content.ReadAsStringAsync()}");
            }

            // Steady load through the frontend: three clients, each one request after another, every text new (no cache hits).
            using var stop = new CancellationTokenSource();
            var failures = new System.Collections.Concurrent.ConcurrentQueue<string>();
            var served = 0;
            var phase = "3 silos";
            var load = Enumerable.Range(0, 3).Select(client => Task.Run(async () =>
            {
                for (var i = 0; !stop.IsCancellationRequested; i++)
                {
                    try
                    {
                        using var response = await frontend.HttpClient.SpeakAsync(new { input = $"Resize load {client} {i} {Guid.NewGuid():N}.", voice = "alloy", response_format = "wav" });
                        if (response.StatusCode == HttpStatusCode.OK) Interlocked.Increment(ref served);
                        else failures.Enqueue($"{phase}: {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
                    }
                    catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                    {
                        failures.Enqueue($"{phase}: {e.Message}");
                    }
                }
            })).ToList();
            await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref served) >= 10), TimeSpan.FromSeconds(60), "the load runs");

            // Scale out: two more silos join through Redis, the frontend sees five and sends them sentences.
            phase = "adding 2 silos";
            added = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"rs{3 + i}", db, patient));
            await Poll.UntilAsync(async () => await FrontendSilosAsync(frontend) == 5, TimeSpan.FromSeconds(30), "the frontend sees 5 silos");
            await Poll.UntilAsync(async () => (await ClusterSilo.SentencesPerSiloAsync(added)).All(n => n > 0), TimeSpan.FromSeconds(60),
                "both new silos synthesise part of the load", TimeSpan.FromMilliseconds(200));

            // Scale in: SIGTERM, as Kubernetes stops the surplus pods; they drain, leave the cluster and exit 0.
            var beforeScaleIn = Volatile.Read(ref served);
            phase = "removing 2 silos";
            foreach (var silo in added) silo.Terminate();
            foreach (var silo in added) Assert.Equal(0, await silo.WaitForExitAsync(TimeSpan.FromSeconds(60)));
            await Poll.UntilAsync(async () => await FrontendSilosAsync(frontend) == 3, TimeSpan.FromSeconds(30), "the frontend sees 3 silos again");
            phase = "3 silos again";
            await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref served) >= beforeScaleIn + 10), TimeSpan.FromSeconds(60), "the load goes on on three silos");

            stop.Cancel();
            await Task.WhenAll(load);
            Assert.True(failures.IsEmpty, $"{failures.Count} of {served + failures.Count} requests failed: {string.Join(" | ", failures.Take(5))}");

            // The two left gracefully: no silo counts them as declared dead.
            foreach (var silo in silos) Assert.Equal(0, await DeclaredDeadAsync(silo));
        }
        finally
        {
            foreach (var silo in added) await silo.DisposeAsync();
            await frontend.DisposeAsync();
            foreach (var silo in silos) await silo.DisposeAsync();
        }
    }
}

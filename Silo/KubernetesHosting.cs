using Orleans.Hosting;

namespace Orleans.Tts.Silo;

/// <summary>Whether a silo runs Microsoft.Orleans.Hosting.Kubernetes, and why (logged at start).</summary>
public sealed record KubernetesHostingDecision(bool Enabled, bool DeleteDefunctPods, string Reason);

/// <summary>
/// Microsoft.Orleans.Hosting.Kubernetes in a silo: it labels its own pod with the cluster ids, watches the silo pods and declares
/// a silo whose pod is gone dead at once (instead of after the missed probes). Membership stays in Redis; this only supplements it.
/// On by default in a pod (<c>KUBERNETES_SERVICE_HOST</c>, which the kubelet sets, and <c>POD_NAME</c>, which the chart sets from
/// the downward API) with Redis clustering; <c>TTS_KUBERNETES_HOSTING=false</c> turns it off, <c>true</c> insists on it.
/// Off anywhere else: the agent reads the in-cluster API configuration when it is created, so outside a pod the silo could not start.
/// </summary>
public static class KubernetesHosting
{
    public static KubernetesHostingDecision Decide(IConfiguration config)
    {
        var setting = (config["TTS_KUBERNETES_HOSTING"] ?? "").Trim().ToLowerInvariant();
        var deleteDefunct = Setting.Flag(config, "TTS_KUBERNETES_DELETE_DEFUNCT_PODS", false);
        var inPod = config["KUBERNETES_SERVICE_HOST"] is { Length: > 0 } && config["POD_NAME"] is { Length: > 0 };
        var redis = config["TTS_REDIS"] is { Length: > 0 };
        switch (setting)
        {
            case "false":
                return new(false, false, "off: TTS_KUBERNETES_HOSTING=false");
            case "" or "auto":
                if (!inPod) return new(false, false, "off: not in a Kubernetes pod (KUBERNETES_SERVICE_HOST and POD_NAME are not both set)");
                if (!redis) return new(false, false, "off: no TTS_REDIS, so this silo is a cluster of one");
                return new(true, deleteDefunct, "on: in a Kubernetes pod (KUBERNETES_SERVICE_HOST and POD_NAME are set)");
            case "true":
                if (!inPod)
                    throw new InvalidOperationException(
                        "TTS_KUBERNETES_HOSTING=true, but this process is not in a Kubernetes pod: KUBERNETES_SERVICE_HOST (set by the kubelet) and POD_NAME " +
                        "(set by the chart from the downward API) must both be set. Leave TTS_KUBERNETES_HOSTING unset to use it only in a pod.");
                if (!redis)
                    throw new InvalidOperationException("TTS_KUBERNETES_HOSTING=true needs TTS_REDIS: Kubernetes hosting supplements Redis membership, it does not replace it.");
                return new(true, deleteDefunct, "on: TTS_KUBERNETES_HOSTING=true");
            default:
                throw new InvalidOperationException($"TTS_KUBERNETES_HOSTING is '{setting}': use true, false, or leave it unset (on in a Kubernetes pod, off elsewhere).");
        }
    }

    /// <summary>Adds Orleans' Kubernetes hosting to the silo when <paramref name="decision"/> says so.</summary>
    public static void Apply(ISiloBuilder silo, KubernetesHostingDecision decision)
    {
        if (!decision.Enabled) return;
        // Without a Role allowing pod deletion (orleans.kubernetesHosting.deleteDefunctPods in the chart) deleting would fail.
        silo.UseKubernetesHosting(o => o.Configure(k => k.DeleteDefunctSiloPods = decision.DeleteDefunctPods));
    }
}

/// <summary>Says at start whether Orleans' Kubernetes hosting runs, so an operator sees it in the pod's log.</summary>
internal sealed class KubernetesHostingLog(KubernetesHostingDecision decision, ILogger<KubernetesHostingLog> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        logger.LogInformation("Orleans Kubernetes hosting {Decision}{Defunct}", decision.Reason,
            decision.DeleteDefunctPods ? "; pods of defunct silos are deleted" : "");
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

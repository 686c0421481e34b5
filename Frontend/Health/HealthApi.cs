using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Tts.Admission;
using Orleans.Tts.Caching;
using Orleans.Tts.Cluster;
using Orleans.Tts.Jobs;
using Orleans.Tts.Frontend.Auth;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Frontend.Health;

public sealed record HealthReport(string Status);

public sealed record ReadinessReport(string Status, int Parallelism, int Running, int Queued, int QueueLimit, IReadOnlyDictionary<string, string> Details);

public static class HealthApi
{
    public static IEndpointRouteBuilder MapHealthEndpoints(this IEndpointRouteBuilder app)
    {
        // Liveness: the process answers; no dependency is consulted, so a busy silo is never restarted.
        app.MapGet("/health", () => TypedResults.Ok(new HealthReport("alive")))
            .WithName("Health").WithSummary("Liveness: the process is alive.");

        // Readiness: engines loaded and the worker pool accepting.
        app.MapGet("/ready", async (ISynthesisWorker worker, ISiloActivity activity, IClusterMembership membership, IAdmission admission, IResultCache cache, IJobStore jobs, JobUsage jobUsage, JobOptions jobOptions, ApiKeyStore keys, CancellationToken ct) =>
            {
                var s = worker.Status;
                var details = new Dictionary<string, string>(s.Detail);
                var view = await membership.GetViewAsync(ct);
                details["cluster.mode"] = view.Mode;
                details["cluster.storage"] = view.Storage;
                details["cluster.admission"] = admission.Status.Backend;
                details["cache"] = cache.Status;
                // Redis trouble degrades the process but keeps it ready: it serves from its local cache and synthesis.
                if (cache.Degraded) details["cache.degraded"] = "Redis result cache unreachable: local cache only; identical requests on different silos may each synthesise";
                details["jobs"] = jobs.Durable
                    ? "redis: durable, units re-run on another silo if one dies"
                    : "in memory: jobs do not survive a restart (set TTS_REDIS for durable jobs)";
                JobStorageDetails(details, jobUsage.Latest, jobOptions);
                details["auth"] = keys.Enabled
                    ? $"on: {keys.Count} API keys; admin key for /admin and speaker writes; anonymous synthesis {(keys.Options.RequireKey ? "refused" : "allowed")}"
                    : "off: no API keys configured (TTS_API_KEYS, TTS_API_KEYS_FILE); every endpoint is open";
                // An unreachable admission grain degrades the process but keeps it ready: it admits alone, within its own capacity.
                if (admission.Status.Backend == AdmissionBackends.LocalFallback) details["admission.degraded"] = "the admission grain is unreachable: this process admits alone, within its own capacity, until it answers again";
                if (activity.Draining) details["silo"] = "draining before shutdown";
                var ready = s.Ready && !activity.Draining;
                var report = new ReadinessReport(ready ? "ready" : activity.Draining ? "draining" : "not ready", s.Parallelism, s.Running, s.Queued, s.QueueLimit, details);
                return ready ? Results.Ok(report) : Results.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
            })
            .WithName("Ready").WithSummary("Readiness: engines loaded, the worker pool accepting work, the silo not draining; cluster, cache, admission and job storage state in details.");
        return app;
    }

    /// <summary>The job storage budget and what jobs hold of it (as of the last job maintenance pass, every 2 s).</summary>
    private static void JobStorageDetails(Dictionary<string, string> details, JobUsage.Snapshot? usage, JobOptions options)
    {
        static string N(long value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);
        details["jobs.storage.limitBytes"] = N(options.StorageMaxBytes);
        if (usage is null)
        {
            details["jobs.storage"] = $"limit {Bytes(options.StorageMaxBytes)}; use not read yet";
            return;
        }
        var b = usage.Backlog;
        details["jobs.storage.usedBytes"] = N(b.UsedBytes);
        details["jobs.storage.storedBytes"] = N(b.StoredBytes);
        details["jobs.storage.reservedBytes"] = N(b.ReservedBytes);
        details["jobs.storage"] = $"{Bytes(b.UsedBytes)} of {Bytes(options.StorageMaxBytes)} used ({ByteSize.Percent((double)b.UsedBytes / options.StorageMaxBytes)}): " +
            $"{Bytes(b.StoredBytes)} stored results, {Bytes(b.ReservedBytes)} expected for {b.QueuedJobs} queued and {b.RunningJobs} running jobs; " +
            $"one API key may hold {ByteSize.Percent(options.StorageClientShare)}; as of {usage.At:O}";
    }

    private static string Bytes(long bytes) => ByteSize.Format(bytes);
}

using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
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
        app.MapGet("/ready", (ISynthesisWorker worker) =>
            {
                var s = worker.Status;
                var report = new ReadinessReport(s.Ready ? "ready" : "not ready", s.Parallelism, s.Running, s.Queued, s.QueueLimit, s.Detail);
                return s.Ready ? Results.Ok(report) : Results.Json(report, statusCode: StatusCodes.Status503ServiceUnavailable);
            })
            .WithName("Ready").WithSummary("Readiness: engines loaded and the worker pool accepting work.");
        return app;
    }
}

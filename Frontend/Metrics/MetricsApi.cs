using System.Diagnostics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Cluster;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Frontend.Metrics;

public static class MetricsApi
{
    /// <summary>
    /// Counts every request (by route template, method and status), times it, and times the first byte of
    /// audio; maps <c>GET /metrics</c> in the Prometheus text format. Call before the other endpoints.
    /// </summary>
    public static WebApplication UseTtsMetrics(this WebApplication app)
    {
        // The exporter listens from now on, so nothing measured before the first scrape is lost.
        var exporter = app.Services.GetRequiredService<PrometheusExporter>();
        var metrics = app.Services.GetRequiredService<TtsMetrics>();
        app.Use(async (http, next) =>
        {
            var started = Stopwatch.GetTimestamp();
            http.Features.Set(new RequestArrival(started));
            http.Response.OnStarting(() =>
            {
                var type = http.Response.ContentType;
                if (type is not null && (type.StartsWith("audio/", StringComparison.OrdinalIgnoreCase) || type.StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase)))
                    metrics.FirstAudio(Route(http), Stopwatch.GetElapsedTime(started));
                return Task.CompletedTask;
            });
            var status = StatusCodes.Status500InternalServerError;
            try
            {
                await next(http);
                status = http.Response.StatusCode;
            }
            finally
            {
                // A request the client abandoned is counted as 499, the de facto code for it.
                if (http.RequestAborted.IsCancellationRequested && !http.Response.HasStarted) status = 499;
                metrics.RequestCompleted(Route(http), Method(http), status, Stopwatch.GetElapsedTime(started));
            }
        });

        app.MapGet("/metrics", async (IClusterMembership membership, HttpContext http, CancellationToken ct) =>
            {
                var view = await membership.GetViewAsync(ct);
                metrics.LiveSilos(view.Members.Count(m => m.Status == "active"));
                return Results.Text(exporter.Collect(), PrometheusExporter.ContentType);
            })
            .WithName("Metrics").WithSummary("Prometheus metrics of this silo (text exposition format 0.0.4).")
            .ExcludeFromDescription();
        return app;
    }

    private static readonly string[] KnownMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"];

    /// <summary>The request method if it is a standard one, else "OTHER": clients choose the method, so it must not mint label values.</summary>
    private static string Method(HttpContext http) => Array.Find(KnownMethods, m => m == http.Request.Method) ?? "OTHER";

    /// <summary>The matched route template (bounded cardinality), never the raw path.</summary>
    private static string Route(HttpContext http) => http.GetEndpoint() is RouteEndpoint e ? e.RoutePattern.RawText ?? "unknown" : "unmatched";
}

using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics;
using OpenTelemetry.Metrics;
using Orleans.Tts.Cluster;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Frontend.Metrics;

public static class MetricsApi
{
    /// <summary>Orleans' meter (<c>orleans-*</c> instruments, exported as <c>orleans_*</c>).</summary>
    public const string OrleansMeter = "Microsoft.Orleans";

    /// <summary>The .NET runtime's built-in meter (<c>dotnet.*</c> instruments: GC, JIT, thread pool, CPU, exceptions).</summary>
    public const string RuntimeMeter = "System.Runtime";

    /// <summary>
    /// Our meter, Orleans' and the runtime's, collected by OpenTelemetry and served by its Prometheus exporter on <c>/metrics</c>.
    /// Ours and Orleans' are enabled for this host's meters only (<see cref="MeterScope.Local"/>: created by its
    /// <see cref="IMeterFactory"/>), so two hosts in one process (tests) never add up each other's counts; the runtime's meter is
    /// process-wide by nature.
    /// </summary>
    public static IServiceCollection AddTtsPrometheusMetrics(this IServiceCollection services)
    {
        services.AddTtsMetrics();
        services.AddMetrics(m => m
            .EnableMetrics(TtsMetrics.MeterName, null, OpenTelemetryListener, MeterScope.Local)
            .EnableMetrics(OrleansMeter, null, OpenTelemetryListener, MeterScope.Local)
            .EnableMetrics(RuntimeMeter, null, OpenTelemetryListener, MeterScope.Global));
        services.AddOpenTelemetry().WithMetrics(metrics => metrics
            // Ours keeps dotnet_gc_collections_total{generation} (dashboards use it); the runtime's instrument of the same
            // Prometheus name (label gc_heap_generation) would make a second family of that name, which Prometheus rejects.
            .AddView(instrument => instrument.Meter.Name == RuntimeMeter && instrument.Name == RuntimeGcCollections
                ? MetricStreamConfiguration.Drop
                // OpenTelemetry allocates every stream's series table up front at its cardinality limit (2000 by default): about
                // 30 MB over the ~80 instruments of an idle silo. Our widest, tts_requests (route × method × status), and Orleans'
                // (grain type × status) stay far below these.
                : new MetricStreamConfiguration { CardinalityLimit = instrument.Meter.Name == TtsMetrics.MeterName ? 1000 : 200 })
            .AddPrometheusExporter(o =>
            {
                // Every scrape collects afresh: the default 300 ms cache would serve two scrapes around one request the same numbers.
                o.ScrapeResponseCacheDurationMilliseconds = 0;
                // No otel_scope_* labels on every series and no target_info family: names and labels stay what they were.
                o.ScopeInfoEnabled = false;
                o.TargetInfoEnabled = false;
            }));
        return services;
    }

    // The name OpenTelemetry's IMetricsListener registers under (Microsoft.Extensions.Diagnostics routes enabled meters to it).
    private const string OpenTelemetryListener = "OpenTelemetry";

    private const string RuntimeGcCollections = "dotnet.gc.collections";

    /// <summary>
    /// Counts every request (by route template, method and status), times it, and times the first byte of
    /// audio; maps <c>GET /metrics</c> in the Prometheus text format. Call before the other endpoints.
    /// </summary>
    public static WebApplication UseTtsMetrics(this WebApplication app)
    {
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

        // The live-silo count is read from the membership view just before each collection (it needs an async call, which an
        // observable instrument's callback cannot make).
        app.MapPrometheusScrapingEndpoint("/metrics", meterProvider: null, configureBranchedPipeline: branch => branch.Use(async (http, next) =>
            {
                var view = await http.RequestServices.GetRequiredService<IClusterMembership>().GetViewAsync(http.RequestAborted);
                metrics.LiveSilos(view.Members.Count(m => m.Status == "active"));
                await next(http);
            }), optionsName: null)
            .WithName("Metrics").WithSummary("Prometheus metrics of this process: Orleans.Tts, Orleans and the .NET runtime (text exposition format 0.0.4).")
            .ExcludeFromDescription();
        return app;
    }

    private static readonly string[] KnownMethods = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"];

    /// <summary>The request method if it is a standard one, else "OTHER": clients choose the method, so it must not mint label values.</summary>
    private static string Method(HttpContext http) => Array.Find(KnownMethods, m => m == http.Request.Method) ?? "OTHER";

    /// <summary>The matched route template (bounded cardinality), never the raw path.</summary>
    private static string Route(HttpContext http) => http.GetEndpoint() is RouteEndpoint e ? e.RoutePattern.RawText ?? "unknown" : "unmatched";
}

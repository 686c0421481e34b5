using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Orleans.Tts.Telemetry;

public static class TelemetryServiceExtensions
{
    /// <summary>The <c>Orleans.Tts</c> instruments (idempotent); the Frontend's MetricsApi exports them.</summary>
    public static IServiceCollection AddTtsMetrics(this IServiceCollection services)
    {
        services.AddMetrics();
        services.TryAddSingleton<TtsMetrics>();
        return services;
    }
}

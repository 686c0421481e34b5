using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using StackExchange.Redis;

namespace Orleans.Tts.ClusterClient;

public sealed class TtsClusterOptions
{
    /// <summary>The cluster's ServiceId; default ORLEANS_SERVICE_ID, else <c>orleans-tts</c> (as the silos).</summary>
    public string? ServiceId { get; set; }

    /// <summary>The cluster's ClusterId; default ORLEANS_CLUSTER_ID, else <c>orleans-tts</c> (as the silos).</summary>
    public string? ClusterId { get; set; }

    /// <summary>How often the gateway list is read again from the membership table (Orleans' default is a minute).</summary>
    public TimeSpan GatewayListRefreshPeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Tries to connect at start-up, a second apart, before the host's start fails (no silo up yet).</summary>
    public int ConnectAttempts { get; set; } = 15;
}

public static class TtsClusterExtensions
{
    public const string DefaultId = "orleans-tts";

    /// <summary>
    /// An Orleans client of the Orleans.Tts silos whose membership table is in the Redis at <paramref name="redisConnectionString"/>
    /// (a StackExchange.Redis configuration string such as <c>127.0.0.1:6379</c>), and <see cref="ITtsCluster"/> over it.
    /// The client connects when the host starts. Not for a process that hosts a silo (co-hosted code uses the grains directly).
    /// </summary>
    public static IServiceCollection AddTtsOrleansClient(this IServiceCollection services, string redisConnectionString, Action<TtsClusterOptions>? configure = null,
        IConfiguration? configuration = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(redisConnectionString);
        var redis = Redis(redisConnectionString);
        var options = new TtsClusterOptions();
        configure?.Invoke(options);
        var serviceId = options.ServiceId ?? Configured(configuration, "ORLEANS_SERVICE_ID") ?? DefaultId;
        var clusterId = options.ClusterId ?? Configured(configuration, "ORLEANS_CLUSTER_ID") ?? DefaultId;
        services.AddOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => (o.ServiceId, o.ClusterId) = (serviceId, clusterId));
            client.UseRedisClustering(o => o.ConfigurationOptions = redis);
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = options.GatewayListRefreshPeriod);
            var attempts = 0;
            client.UseConnectionRetryFilter(async (_, ct) =>
            {
                if (++attempts >= options.ConnectAttempts) return false;
                await Task.Delay(TimeSpan.FromSeconds(1), ct);
                return true;
            });
        });
        services.TryAddSingleton<ITtsCluster, TtsCluster>();
        return services;
    }

    /// <summary><see cref="AddTtsOrleansClient(IServiceCollection, string, Action{TtsClusterOptions}?, IConfiguration?)"/> with the builder's configuration (ORLEANS_SERVICE_ID, ORLEANS_CLUSTER_ID).</summary>
    public static IHostApplicationBuilder AddTtsOrleansClient(this IHostApplicationBuilder builder, string redisConnectionString, Action<TtsClusterOptions>? configure = null)
    {
        builder.Services.AddTtsOrleansClient(redisConnectionString, configure, builder.Configuration);
        return builder;
    }

    private static string? Configured(IConfiguration? configuration, string name) =>
        (configuration?[name] ?? Environment.GetEnvironmentVariable(name)) is { Length: > 0 } value ? value : null;

    private static ConfigurationOptions Redis(string value)
    {
        try
        {
            var options = ConfigurationOptions.Parse(value);
            // The client keeps trying while Redis or the silos come up, instead of failing on the first refused connection.
            options.AbortOnConnectFail = false;
            return options;
        }
        catch (Exception e) when (e is ArgumentException or RedisException)
        {
            throw new ArgumentException($"'{value}' is not a StackExchange.Redis configuration string (host:port[,option=value…]): {e.Message}", nameof(value), e);
        }
    }
}

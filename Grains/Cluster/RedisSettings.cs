using Microsoft.Extensions.Configuration;
using StackExchange.Redis;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>The Redis settings (TTS_REDIS, TTS_REDIS_CACHE) as StackExchange.Redis options, with errors that name the setting.</summary>
public static class RedisSettings
{
    /// <summary>
    /// Setting <paramref name="name"/> (a StackExchange.Redis configuration string) parsed after <paramref name="defaults"/>, so
    /// the operator's own tokens win; null when unset. Never aborts on a failed first connect: processes start (and serve) before
    /// Redis does. A string that is not one, or names no server, stops the start with a message saying what <paramref name="usedFor"/>.
    /// </summary>
    public static ConfigurationOptions? Parse(IConfiguration config, string name, string usedFor, string? defaults = null) =>
        config[name] is { Length: > 0 } value ? Parse(name, value, usedFor, defaults) : null;

    public static ConfigurationOptions Parse(string name, string value, string usedFor, string? defaults = null)
    {
        ConfigurationOptions options;
        try
        {
            options = ConfigurationOptions.Parse(defaults is null ? value : $"{defaults},{value}");
        }
        catch (Exception e) when (e is ArgumentException or RedisException)
        {
            throw new InvalidOperationException($"Setting {name} is not a StackExchange.Redis configuration string (host:port[,option=value…]) for {usedFor}: {e.Message}", e);
        }
        if (options.EndPoints.Count == 0)
            throw new InvalidOperationException($"Setting {name}='{value}' names no Redis server for {usedFor} (host:port[,option=value…]).");
        options.AbortOnConnectFail = false;
        return options;
    }
}

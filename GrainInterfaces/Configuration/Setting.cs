using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Orleans.Tts;

/// <summary>Reads TTS_* settings with errors that name the setting and what it accepts.</summary>
public static class Setting
{
    public static int PositiveInt(IConfiguration config, string key, int fallback, int min = 1, int max = int.MaxValue)
    {
        var raw = config[key];
        if (string.IsNullOrWhiteSpace(raw)) return fallback;
        if (int.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min && v <= max) return v;
        var range = max == int.MaxValue ? $"≥ {min}" : $"from {min} to {max}";
        throw new InvalidOperationException($"Setting {key}='{raw}' is invalid: it must be a whole number {range}.");
    }

    public static long PositiveLong(IConfiguration config, string key, long fallback, long min = 1)
    {
        var raw = config[key];
        if (string.IsNullOrWhiteSpace(raw)) return fallback;
        if (long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= min) return v;
        throw new InvalidOperationException($"Setting {key}='{raw}' is invalid: it must be a whole number ≥ {min}.");
    }

    /// <summary><c>true</c> or <c>false</c> (any case); unset: <paramref name="fallback"/>.</summary>
    public static bool Flag(IConfiguration config, string key, bool fallback) => config[key]?.Trim().ToLowerInvariant() switch
    {
        null or "" => fallback,
        "true" => true,
        "false" => false,
        var raw => throw new InvalidOperationException($"Setting {key}='{raw}' is invalid: use true or false, or leave it unset."),
    };

    /// <summary>A fraction greater than 0 and at most 1.</summary>
    public static double Fraction(IConfiguration config, string key, double fallback)
    {
        var raw = config[key];
        if (string.IsNullOrWhiteSpace(raw)) return fallback;
        if (double.TryParse(raw, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v > 0 && v <= 1) return v;
        throw new InvalidOperationException($"Setting {key}='{raw}' is invalid: it must be a fraction greater than 0 and at most 1 (e.g. 0.5).");
    }
}

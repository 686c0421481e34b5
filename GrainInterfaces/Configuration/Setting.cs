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
}

namespace Orleans.Tts.Synthesis;

/// <summary>
/// The engine and model versions audio is made with (the <c>…version</c> entries of a worker pool's details, such as
/// <c>espeak.version</c> and the digest of the loaded Piper and Kokoro files): part of every result cache key, so a model
/// reload never serves audio of the model it replaced. A silo sends its own in <see cref="Header"/> with its voice list, so a
/// frontend keys its cache exactly as the silos do.
/// </summary>
public static class ModelVersion
{
    public const string Header = "X-Tts-Model-Version";

    /// <summary><c>key=value</c> pairs of the version entries, by key, joined with <c>;</c>.</summary>
    public static string Of(IReadOnlyDictionary<string, string> detail) =>
        string.Join(';', detail.Where(d => IsVersion(d.Key)).OrderBy(d => d.Key, StringComparer.Ordinal).Select(d => $"{d.Key}={d.Value}"));

    /// <summary>The version entries of a string made by <see cref="Of"/> (anything else in it is ignored).</summary>
    public static IReadOnlyDictionary<string, string> Parse(string? versions)
    {
        var entries = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var pair in (versions ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            if (pair.Split('=', 2) is [var key, var value] && IsVersion(key)) entries[key] = value;
        return entries;
    }

    private static bool IsVersion(string key) => key.EndsWith("version", StringComparison.OrdinalIgnoreCase);
}

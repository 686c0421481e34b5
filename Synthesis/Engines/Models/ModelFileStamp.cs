namespace Orleans.Tts.Synthesis.Engines.Models;

/// <summary>Identifies one version of a set of files, so a reload keeps what did not change.</summary>
public sealed record ModelFileStamp(string Key)
{
    /// <summary>A short digest of a set of stamps: changes whenever any file of the set changes.</summary>
    public static string Digest(IEnumerable<ModelFileStamp> stamps)
    {
        var joined = string.Join("\n", stamps.Select(s => s.Key).Order(StringComparer.Ordinal));
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(joined)))[..12];
    }

    public static ModelFileStamp Of(params string[] paths) => new(string.Join("|", paths.Select(p =>
    {
        var info = new FileInfo(p);
        return info.Exists ? $"{info.FullName}:{info.Length}:{info.LastWriteTimeUtc.Ticks}" : $"{p}:missing";
    })));
}

namespace Orleans.Tts.Grains.Engines.Models;

/// <summary>Identifies one version of a set of files, so a reload keeps what did not change.</summary>
public sealed record ModelFileStamp(string Key)
{
    public static ModelFileStamp Of(params string[] paths) => new(string.Join("|", paths.Select(p =>
    {
        var info = new FileInfo(p);
        return info.Exists ? $"{info.FullName}:{info.Length}:{info.LastWriteTimeUtc.Ticks}" : $"{p}:missing";
    })));
}

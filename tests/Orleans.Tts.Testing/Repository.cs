namespace Orleans.Tts.Testing;

/// <summary>The repository the tests run from: where Orleans.Tts.sln is, for the scripts and samples tests use.</summary>
public static class Repository
{
    public static string Root
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Orleans.Tts.sln"))) return dir.FullName;
            throw new InvalidOperationException($"No Orleans.Tts.sln above {AppContext.BaseDirectory}.");
        }
    }
}

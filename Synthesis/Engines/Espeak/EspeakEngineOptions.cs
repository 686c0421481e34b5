namespace Orleans.Tts.Synthesis.Engines.Espeak;

public sealed class EspeakEngineOptions
{
    /// <summary>Engine-host processes (isolated eSpeak instances); default: usable cores.</summary>
    public int Hosts { get; set; } = Environment.ProcessorCount;

    /// <summary>
    /// Extra engine hosts that run only background (job) sentences, at below-normal OS priority (nice 10), so the kernel
    /// prefers interactive sentences when both want a core; 0: background sentences use the interactive hosts.
    /// </summary>
    public int BackgroundHosts { get; set; }

    /// <summary>Path of Orleans.Tts.EngineHost.dll (or its apphost); default: next to this assembly.</summary>
    public string? HostPath { get; set; }

    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>A sentence that takes longer than this is treated as a hung host: killed and retried once.</summary>
    public TimeSpan SentenceTimeout { get; set; } = TimeSpan.FromSeconds(30);

    internal (string FileName, IReadOnlyList<string> Arguments) ResolveHostCommand()
    {
        var path = HostPath ?? Path.Combine(AppContext.BaseDirectory, "Orleans.Tts.EngineHost.dll");
        if (!File.Exists(path))
            throw new FileNotFoundException($"The eSpeak engine host was not found at '{path}'. Build the solution or set TTS_ENGINE_HOST.", path);
        if (!path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)) return (path, []);
        return (DotnetExecutable(), [path]);
    }

    private static string DotnetExecutable()
    {
        var self = Environment.ProcessPath;
        if (self is not null && Path.GetFileNameWithoutExtension(self) == "dotnet") return self;
        var root = Environment.GetEnvironmentVariable("DOTNET_ROOT");
        if (root is not null && File.Exists(Path.Combine(root, "dotnet"))) return Path.Combine(root, "dotnet");
        return "dotnet";
    }
}

namespace Orleans.Tts.Testing;

/// <summary>How <see cref="SiloProcess"/> starts the silo.</summary>
public sealed record SiloProcessOptions
{
    /// <summary>Extra environment variables for the silo process; a null value removes the variable.</summary>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Extra command-line arguments passed after the silo dll.</summary>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Loopback address the silo binds (<c>TTS_HOST</c>).</summary>
    public string Host { get; init; } = "127.0.0.1";

    /// <summary>Port to bind (<c>TTS_PORT</c>); null picks a free loopback port.</summary>
    public int? Port { get; init; }


    /// <summary>How long to wait for <c>GET /ready</c> to answer 200.</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Pause between two <c>/ready</c> polls.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Path of <c>Orleans.Tts.Silo.dll</c>; null looks next to the test assembly.</summary>
    public string? SiloDllPath { get; init; }

    /// <summary>Called with every stdout/stderr line of the silo (e.g. to forward to a test log).</summary>
    public Action<string>? OnOutput { get; init; }

    /// <summary>How many output lines to keep for failure messages.</summary>
    public int MaxOutputLines { get; init; } = 5000;

    /// <summary>Returns a copy with one more environment variable.</summary>
    public SiloProcessOptions WithEnvironment(string name, string? value) =>
        this with { Environment = new Dictionary<string, string?>(Environment) { [name] = value } };
}

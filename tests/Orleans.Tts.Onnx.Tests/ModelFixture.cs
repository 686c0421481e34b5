using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Synthesis.Engines.Models;

namespace Orleans.Tts.Onnx.Tests;

/// <summary>
/// Builds the fixture models once per test run (tests/fixtures/make_models.py under Debian's python3-onnx)
/// and holds the process's ONNX Runtime environment, created first so that its log reaches <see cref="Log"/>.
/// </summary>
public sealed class ModelFixture : IDisposable
{
    private const string SystemPython = "/usr/bin/python3";

    public ModelFixture()
    {
        Directory = Path.Combine(Path.GetTempPath(), $"orleans-tts-onnx-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(Directory);
        Generate(Directory);
        using (var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory, "fixtures.json"))))
        {
            Piper = PiperConstants.From(json.RootElement.GetProperty("piper"));
            Kokoro = KokoroConstants.From(json.RootElement.GetProperty("kokoro"));
            KokoroDurations = KokoroDurationConstants.From(json.RootElement.GetProperty("kokoro_durations"));
        }
        Onnx = new OnnxRuntimeProvider(new ModelOptions { IntraOpThreads = 1 }, new CapturingLoggerFactory(Log));
        _ = Onnx.Version;
    }

    public string Directory { get; }

    public OnnxRuntimeProvider Onnx { get; }

    public CapturingLogger Log { get; } = new();

    public PiperConstants Piper { get; }

    public KokoroConstants Kokoro { get; }

    public KokoroDurationConstants KokoroDurations { get; }

    public string PiperSingle => Model("piper-single.onnx");
    public string PiperMulti => Model("piper-multi.onnx");
    public string PiperRank3 => Model("piper-rank3.onnx");
    public string KokoroModel => Model("kokoro.onnx");
    public string KokoroDurationsModel => Model("kokoro-durations.onnx");
    public string Broken => Model("broken.onnx");
    public string SlowLoop => Model("slow-loop.onnx");

    public string Model(string name) => Path.Combine(Directory, name);

    public void Dispose()
    {
        Onnx.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless.
        }
    }

    private static void Generate(string outputDirectory)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "fixtures", "make_models.py");
        const string hint = "The ONNX test models are built by tests/fixtures/make_models.py with Debian's " +
            "python3-onnx: install Debian package python3-onnx (apt-get install python3-onnx).";
        if (!File.Exists(SystemPython))
            throw new InvalidOperationException($"{SystemPython} does not exist. {hint}");

        var probe = RunPython(["-c", "import onnx"]);
        if (probe.ExitCode != 0)
            throw new InvalidOperationException($"{SystemPython} cannot import onnx ({probe.Error.Trim()}). {hint}");

        var result = RunPython([script, outputDirectory]);
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"{script} failed with exit code {result.ExitCode}:\n{result.Error}");
    }

    private static (int ExitCode, string Error) RunPython(string[] arguments)
    {
        var start = new ProcessStartInfo(SystemPython) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        // The system python must not pick up a pyenv or virtualenv's modules.
        start.Environment.Remove("PYTHONPATH");
        start.Environment.Remove("PYTHONHOME");
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {SystemPython}.");
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, error.Result);
    }
}

[CollectionDefinition(Name)]
public sealed class OnnxCollection : ICollectionFixture<ModelFixture>
{
    // One collection: the tests run one at a time, so the memory test measures only itself.
    public const string Name = "onnx";
}

public sealed record PiperConstants(int SampleRate, int Segment, int BaseCycles, int SidCycles, float Amplitude)
{
    public static PiperConstants From(JsonElement e) => new(
        e.GetProperty("sample_rate").GetInt32(), e.GetProperty("segment").GetInt32(), e.GetProperty("base_cycles").GetInt32(),
        e.GetProperty("sid_cycles").GetInt32(), e.GetProperty("amplitude").GetSingle());
}

public sealed record KokoroConstants(int SampleRate, int Segment, int BaseCycles, int StyleDim)
{
    public static KokoroConstants From(JsonElement e) => new(
        e.GetProperty("sample_rate").GetInt32(), e.GetProperty("segment").GetInt32(), e.GetProperty("base_cycles").GetInt32(),
        e.GetProperty("style_dim").GetInt32());
}

/// <summary>kokoro-durations.onnx: each id lasts max(1, round(Scale × (id % Mod + 1) / speed)) frames of Frame samples.</summary>
public sealed record KokoroDurationConstants(int Frame, int Mod, int Scale)
{
    public static KokoroDurationConstants From(JsonElement e) => new(
        e.GetProperty("frame").GetInt32(), e.GetProperty("mod").GetInt32(), e.GetProperty("scale").GetInt32());

    public long Frames(long id, double speed = 1) => Math.Max(1, (long)Math.Round(Scale * (id % Mod + 1) / speed, MidpointRounding.ToEven));
}

/// <summary>Keeps every message, thread-safely, at Debug and above.</summary>
public sealed class CapturingLogger : ILogger
{
    private readonly ConcurrentQueue<(LogLevel Level, string Message)> entries = new();

    public IReadOnlyList<(LogLevel Level, string Message)> Entries => [.. entries];

    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Debug;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        entries.Enqueue((logLevel, formatter(state, exception)));
}

public sealed class CapturingLoggerFactory(CapturingLogger logger) : ILoggerFactory
{
    public ILogger CreateLogger(string categoryName) => logger;

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }
}

using System.Diagnostics;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Tts.Synthesis.Engines.Models;
using Orleans.Tts.Onnx.Tests;

namespace Orleans.Tts.Voices.Tests.Fixtures;

/// <summary>
/// Shared by every test: the fixture models (built once by tests/fixtures/make_models.py), the process's one
/// ONNX Runtime, and the published Kokoro voice tables (installed by scripts/install-kokoro-voices.sh when missing).
/// </summary>
public sealed class VoiceModels : IDisposable
{
    public const string KokoroVoicesVersion = "1.2.1";

    private readonly ModelFixture _models = new();
    private readonly Lazy<OnnxSilo> _silo;

    public VoiceModels()
    {
        Inference = new InferenceThreads(new ModelOptions { Parallelism = 2 });
        KokoroVoicesDirectory = LocateKokoroVoices();
        _silo = new Lazy<OnnxSilo>(() => new OnnxSilo(this, OnnxSilo.Standard));
    }

    /// <summary>One silo over the standard models, started by the first test that asks for it.</summary>
    public OnnxSilo Silo => _silo.Value;

    public PiperConstants Piper => _models.Piper;
    public KokoroConstants Kokoro => _models.Kokoro;
    public KokoroDurationConstants KokoroDurations => _models.KokoroDurations;
    public OnnxRuntimeProvider Onnx => _models.Onnx;
    public InferenceThreads Inference { get; }

    /// <summary>The 54 published Kokoro voice tables (kokoro-js 1.2.1).</summary>
    public string KokoroVoicesDirectory { get; }

    public string Model(string name) => _models.Model(name);

    public string KokoroVoice(string name) => Path.Combine(KokoroVoicesDirectory, name + ".bin");

    public void Dispose()
    {
        if (_silo.IsValueCreated) _silo.Value.Dispose();
        Inference.Dispose();
        _models.Dispose();
    }

    private static string LocateKokoroVoices()
    {
        var cache = Environment.GetEnvironmentVariable("TTS_CACHE_DIR") is { Length: > 0 } c
            ? c : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "orleans-tts");
        var directory = Path.Combine(cache, $"kokoro-voices-{KokoroVoicesVersion}");
        if (Directory.Exists(directory) && Directory.EnumerateFiles(directory, "*.bin").Count() == 54) return directory;

        // Idempotent and checksum-pinned; ./tts test has normally run it already.
        var script = Path.Combine(Orleans.Tts.Testing.Repository.Root, "scripts", "install-kokoro-voices.sh");
        var start = new ProcessStartInfo("bash") { RedirectStandardError = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(script);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not run {script}.");
        var error = process.StandardError.ReadToEndAsync();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0 || !Directory.Exists(directory))
            throw new InvalidOperationException(
                $"The Kokoro voice tables are not in {directory} and {script} failed (exit {process.ExitCode}): {error.Result}");
        return directory;
    }
}

[CollectionDefinition(Name)]
public sealed class VoicesCollection : ICollectionFixture<VoiceModels>
{
    public const string Name = "voice models";
}

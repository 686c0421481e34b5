using System.Net;
using System.Text;
using Orleans.Tts.Fuzz;
using Orleans.Tts.Testing;
using Xunit.Abstractions;

namespace Orleans.Tts.Fuzz.Tests;

/// <summary>
/// A real silo whose models directory holds only broken files (garbage ONNX bytes, malformed Piper configs, voice tables of
/// the wrong size or full of NaN), so that start-up and every reload run the model parsers on hostile data.
/// </summary>
public sealed class FuzzSilo(IMessageSink diagnostics) : SiloFixture(diagnostics)
{
    public string ModelsDirectory { get; } = Directory.CreateTempSubdirectory("tts-fuzz-models-").FullName;

    /// <summary>The broken files written, relative to <see cref="ModelsDirectory"/>.</summary>
    public IReadOnlyList<string> BrokenFiles { get; private set; } = [];

    public IPEndPoint Endpoint => new(IPAddress.Loopback, BaseAddress.Port);

    protected override SiloProcessOptions CreateOptions()
    {
        BrokenFiles = BrokenModels.Write(ModelsDirectory, new Random(8));
        return new SiloProcessOptions()
            .WithEnvironment("TTS_MODELS_DIR", ModelsDirectory)
            .WithEnvironment("TTS_WORKERS", "2")
            .WithEnvironment("Logging__LogLevel__Default", "Warning");
    }

    /// <summary>One request on a fresh connection; the answer as the fuzzer's oracle sees it.</summary>
    public async Task<Outcome> SendAsync(byte[] request, bool halfClose = false)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        using var connection = await RawConnection.OpenAsync(Endpoint, timeout.Token);
        return await connection.SendAsync(request, halfClose, timeout.Token);
    }
}

[CollectionDefinition(Name)]
public sealed class FuzzSiloCollection : ICollectionFixture<FuzzSilo>
{
    public const string Name = "fuzz silo";
}

/// <summary>Model files that must each fail to load with a reason, never take the silo down.</summary>
public static class BrokenModels
{
    public static IReadOnlyList<string> Write(string root, Random random)
    {
        var files = new List<string>();
        void Put(string relative, byte[] bytes)
        {
            var path = Path.Combine(root, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
            files.Add(relative);
        }
        byte[] Noise(int n) { var b = new byte[n]; random.NextBytes(b); return b; }
        var config = Encoding.UTF8.GetBytes("""{"audio":{"sample_rate":22050},"espeak":{"voice":"en-us"},"phoneme_id_map":{"_":[0],"^":[1],"$":[2],"a":[3]},"num_speakers":1}""");

        Put("piper/noise.onnx", Noise(4096));
        File.WriteAllBytes(Path.Combine(root, "piper/noise.onnx.json"), config);
        Put("piper/empty.onnx", []);
        File.WriteAllBytes(Path.Combine(root, "piper/empty.onnx.json"), config);
        Put("piper/protobuf-ish.onnx", [0x08, 0x07, 0x12, 0xff, 0xff, 0xff, 0xff, 0x0f, .. Noise(100)]);
        File.WriteAllBytes(Path.Combine(root, "piper/protobuf-ish.onnx.json"), config);
        Put("piper/no-config.onnx", Noise(64));
        Put("piper/bad-config.onnx", Noise(64));
        File.WriteAllText(Path.Combine(root, "piper/bad-config.onnx.json"), """{"audio":{"sample_rate":1e400},"num_speakers":1e12,""");
        Put("piper/many-speakers.onnx", Noise(64));
        File.WriteAllText(Path.Combine(root, "piper/many-speakers.onnx.json"), """{"espeak":{"voice":"en-us"},"phoneme_id_map":{"_":[0],"^":[1],"$":[2]},"num_speakers":2000000000}""");
        Put("kokoro/kokoro-v1.0.onnx", Noise(2048));
        Put("kokoro/voices/af_short.bin", Noise(1000));
        Put("kokoro/voices/af_empty.bin", []);
        Put("kokoro/voices/af_nan.bin", Enumerable.Repeat(new byte[] { 0x00, 0x00, 0xc0, 0x7f }, 256).SelectMany(b => b).ToArray());
        return files;
    }
}

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Orleans.Tts.Voices.Tests.Fixtures;

/// <summary>The embedded silo (Silo + Frontend in one process) serving a temporary models directory.</summary>
public sealed class OnnxSilo : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string> _settings;

    public OnnxSilo(VoiceModels models, Action<ModelsDirectory> populate, IReadOnlyDictionary<string, string>? settings = null)
    {
        Models = new ModelsDirectory(models);
        populate(Models);
        _settings = settings ?? new Dictionary<string, string>();
    }

    public ModelsDirectory Models { get; }

    /// <summary>
    /// The models the API tests share: two Piper voices (one multi-speaker, one straight in the root as Piper's download puts
    /// it), a broken model, a stray model without a config, Kokoro with three published voices.
    /// </summary>
    public static void Standard(ModelsDirectory dir)
    {
        var map = PiperConfigFile.SmallMap(PiperConfigFile.EnglishSymbols);
        dir.AddPiper("en_US-test-medium", "piper-single.onnx", new PiperConfigFile(map, SampleRate: 16000), folder: "");
        dir.AddModel("stray.onnx", "piper-single.onnx");
        dir.AddPiper("duo", "piper-multi.onnx", new PiperConfigFile(map, NumSpeakers: 2, Speakers: new Dictionary<string, long> { ["alice"] = 0, ["bob"] = 1 }));
        dir.AddPiper("broken", "broken.onnx", new PiperConfigFile(map));
        dir.AddKokoroModel();
        foreach (var voice in new[] { "af_bella", "af_sky", "zf_xiaoxiao" }) dir.AddRealVoice(voice);
    }

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("TTS_WORKERS", "2");
        builder.UseSetting("TTS_WORKER_QUEUE", "64");
        builder.UseSetting("TTS_MODELS_DIR", Models.Root);
        foreach (var (key, value) in _settings) builder.UseSetting(key, value);
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing) Models.Dispose();
    }
}

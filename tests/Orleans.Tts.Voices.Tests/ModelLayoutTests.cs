using Microsoft.Extensions.Logging;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Synthesis.Engines.Kokoro;
using Orleans.Tts.Synthesis.Engines.Piper;
using Orleans.Tts.Voices.Tests.Fixtures;

namespace Orleans.Tts.Voices.Tests;

/// <summary>Models are recognised by their files wherever they lie under the models directory, not by folder names.</summary>
[Collection(VoicesCollection.Name)]
public sealed class ModelLayoutTests(VoiceModels models) : IDisposable
{
    private static readonly Dictionary<string, long[]> Map = PiperConfigFile.SmallMap(" ,.abc");

    private readonly ModelsDirectory _dir = new(models);
    private readonly ScriptedPhonemizer _phonemizer = new();

    public void Dispose() => _dir.Dispose();

    private async Task<PiperEngine> PiperAsync(ListLogger<PiperEngine>? log = null)
    {
        var engine = _dir.Piper(_phonemizer, logger: log);
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }

    private async Task<KokoroEngine> KokoroAsync()
    {
        var engine = _dir.Kokoro(_phonemizer);
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }

    [Fact]
    public async Task A_Piper_voice_straight_in_the_models_directory_as_Pipers_download_puts_it_is_listed_and_speaks()
    {
        _dir.AddPiper("en_US-flat-medium", "piper-single.onnx", new PiperConfigFile(Map, PhonemeType: "text"), folder: "");
        await using var engine = await PiperAsync();

        Assert.Equal(["piper:en_US-flat-medium"], engine.Voices.Select(v => v.Id));
        Assert.Empty(engine.Failures);
        var clip = await engine.SynthesizeSentenceAsync("piper:en_US-flat-medium", "ab", SynthesisOptions.Default, default);
        Assert.Equal([1, 0, 6, 0, 7, 0, 2], Decode.Ids(clip.Samples, models.Piper.Segment, models.Piper.Segment, models.Piper.BaseCycles));
    }

    [Fact]
    public async Task Piper_voices_in_nested_folders_of_any_name_are_listed()
    {
        _dir.AddPiper("deep", "piper-single.onnx", new PiperConfigFile(Map), folder: Path.Combine("en", "en_US", "deep", "medium"));
        _dir.AddPiper("legacy", "piper-single.onnx", new PiperConfigFile(Map));
        _dir.AddPiper("mine", "piper-multi.onnx", new PiperConfigFile(Map, NumSpeakers: 2, Speakers: new Dictionary<string, long> { ["x"] = 0, ["y"] = 1 }),
            folder: "my voices");
        await using var engine = await PiperAsync();

        Assert.Equal(["piper:deep", "piper:legacy", "piper:mine", "piper:mine#x", "piper:mine#y"], engine.Voices.Select(v => v.Id));
        Assert.Empty(engine.Failures);
    }

    [Fact]
    public async Task A_stray_onnx_without_a_config_is_skipped_with_the_reason_in_ready_details_and_the_log_while_the_others_serve()
    {
        _dir.AddPiper("good", "piper-single.onnx", new PiperConfigFile(Map), folder: "");
        _dir.AddModel("stray.onnx", "piper-single.onnx");
        _dir.AddModel(Path.Combine("downloads", "other.onnx"), "kokoro.onnx");
        var log = new ListLogger<PiperEngine>();
        await using var piper = await PiperAsync(log);
        await using var kokoro = await KokoroAsync();

        Assert.Equal(["piper:good"], piper.Voices.Select(v => v.Id));
        Assert.Equal(["downloads/other.onnx", "stray.onnx"], piper.Failures.Select(f => f.Path));
        const string reason = "no Piper config stray.onnx.json beside it, and not a Kokoro model (no voices/*.bin beside it)";
        Assert.Equal(reason, piper.Describe()["piper.failed:stray.onnx"]);
        Assert.Contains(log.Entries, e => e.Level == LogLevel.Error && e.Message.Contains("stray.onnx") && e.Message.Contains(reason));
        // Reported once, not again by the other engine.
        Assert.Empty(kokoro.Failures);
        Assert.Empty(kokoro.Voices);
    }

    [Fact]
    public async Task A_config_json_with_a_phoneme_map_beside_a_folders_only_model_makes_it_a_Piper_voice()
    {
        File.WriteAllText(_dir.AddModel(Path.Combine("trained", "lessac.onnx"), "piper-single.onnx").Replace("lessac.onnx", "config.json"),
            new PiperConfigFile(Map).ToJson());
        // Another project's config.json (no phoneme_id_map) says nothing about the model beside it.
        File.WriteAllText(_dir.AddModel(Path.Combine("elsewhere", "model.onnx"), "piper-single.onnx").Replace("model.onnx", "config.json"),
            """{"vocab": {"a": 1}, "n_token": 178}""");
        await using var engine = await PiperAsync();

        Assert.Equal(["piper:lessac"], engine.Voices.Select(v => v.Id));
        Assert.Equal(["elsewhere/model.onnx"], engine.Failures.Select(f => f.Path));
    }

    [Theory]
    [InlineData("kokoro.onnx", "voices")]
    [InlineData("kokoro/kokoro-v1.0.onnx", "kokoro/voices")]
    [InlineData("Kokoro-82M/onnx/model.onnx", "Kokoro-82M/voices")]
    public async Task A_Kokoro_model_is_recognised_by_its_voice_tables_wherever_it_lies(string model, string voices)
    {
        _dir.AddModel(model, "kokoro.onnx");
        _dir.AddVoice("ef_test", 510, row => (row + 1) / 1024f, folder: voices);
        await using var kokoro = await KokoroAsync();
        await using var piper = await PiperAsync();

        Assert.Equal(["kokoro:ef_test"], kokoro.Voices.Select(v => v.Id));
        Assert.Empty(kokoro.Failures);
        Assert.Empty(piper.Failures);
        Assert.Equal(model, kokoro.Describe()["kokoro.model"]);
    }
}

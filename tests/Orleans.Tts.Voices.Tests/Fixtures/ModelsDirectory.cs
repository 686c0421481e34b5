using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Tts.Synthesis.Engines.Espeak;
using Orleans.Tts.Synthesis.Engines.Kokoro;
using Orleans.Tts.Synthesis.Engines.Models;
using Orleans.Tts.Synthesis.Engines.Phonemes;
using Orleans.Tts.Synthesis.Engines.Piper;

namespace Orleans.Tts.Voices.Tests.Fixtures;

/// <summary>A temporary models directory (the TTS_MODELS_DIR layout) filled from the fixture models.</summary>
public sealed class ModelsDirectory(VoiceModels models) : IDisposable
{
    public string Root { get; } = Directory.CreateTempSubdirectory("orleans-tts-models-").FullName;

    public string PiperDirectory => Path.Combine(Root, "piper");
    public string KokoroDirectory => Path.Combine(Root, "kokoro");
    public string KokoroVoicesDirectory => Path.Combine(Root, "kokoro", "voices");

    /// <summary>
    /// Copies a fixture Piper model as <c>FOLDER/NAME.onnx</c> with its config <c>NAME.onnx.json</c>, as Piper's download
    /// puts them; the folder is relative to the root (<c>piper</c> unless given, <c>""</c> for the root itself).
    /// </summary>
    public string AddPiper(string name, string fixtureModel, PiperConfigFile config, string folder = "piper")
    {
        var path = AddModel(Path.Combine(folder, name + ".onnx"), fixtureModel);
        File.WriteAllText(path + ".json", config.ToJson());
        return path;
    }

    /// <summary>Copies a fixture model to <paramref name="relativePath"/> under the root, with nothing beside it.</summary>
    public string AddModel(string relativePath, string fixtureModel)
    {
        var path = Path.Combine(Root, relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.Copy(models.Model(fixtureModel), path, overwrite: true);
        return path;
    }

    public void AddKokoroModel(string fixtureModel = "kokoro.onnx")
    {
        Directory.CreateDirectory(KokoroDirectory);
        File.Copy(models.Model(fixtureModel), Path.Combine(KokoroDirectory, "kokoro-v1.0.onnx"), overwrite: true);
    }

    /// <summary>Copies one of the published Kokoro voice tables.</summary>
    public void AddRealVoice(string name)
    {
        Directory.CreateDirectory(KokoroVoicesDirectory);
        File.Copy(models.KokoroVoice(name), Path.Combine(KokoroVoicesDirectory, name + ".bin"), overwrite: true);
    }

    /// <summary>
    /// Writes a voice table of <paramref name="rows"/> rows whose row r holds <paramref name="value"/>(r) everywhere, into
    /// <c>kokoro/voices</c> or <paramref name="folder"/> (relative to the root).
    /// </summary>
    public void AddVoice(string name, int rows, Func<int, float> value, string? folder = null)
    {
        var directory = folder is null ? KokoroVoicesDirectory : Path.Combine(Root, folder);
        Directory.CreateDirectory(directory);
        var table = new float[rows * KokoroVoiceTable.StyleDim];
        for (var i = 0; i < table.Length; i++) table[i] = value(i / KokoroVoiceTable.StyleDim);
        File.WriteAllBytes(Path.Combine(directory, name + ".bin"), MemoryMarshal.AsBytes(table.AsSpan()).ToArray());
    }

    public ModelOptions Options(TimeSpan? sentenceSilence = null) => new()
    {
        Directory = Root,
        IntraOpThreads = 1,
        Parallelism = 2,
        PiperSentenceSilence = sentenceSilence ?? TimeSpan.Zero,
    };

    public PiperEngine Piper(IPhonemizer phonemizer, ModelOptions? options = null, ILogger<PiperEngine>? logger = null) =>
        new(options ?? Options(), models.Onnx, models.Inference, new PhonemeFrontEnd(Segmenter, phonemizer), logger ?? NullLogger<PiperEngine>.Instance);

    public KokoroEngine Kokoro(IPhonemizer phonemizer, ILogger<KokoroEngine>? logger = null) =>
        new(Options(), models.Onnx, models.Inference, Segmenter, phonemizer, logger ?? NullLogger<KokoroEngine>.Instance);

    // Tests that need Han or kana read use the silo's real front ends; these pass other scripts through.
    private static EspeakTextFrontEnd Segmenter => new(text => text, text => text);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp dir is harmless.
        }
    }
}

/// <summary>A Piper <c>NAME.onnx.json</c> as the tests write it.</summary>
public sealed record PiperConfigFile(
    IReadOnlyDictionary<string, long[]> PhonemeIdMap,
    int SampleRate = 22050,
    string EspeakVoice = "en-us",
    string PhonemeType = "espeak",
    int NumSpeakers = 1,
    IReadOnlyDictionary<string, long>? Speakers = null,
    float LengthScale = 1f,
    IReadOnlyDictionary<string, float>? PhonemeSilence = null,
    string LanguageCode = "en_US")
{
    /// <summary>Ids small enough for the fixture model's tones to decode: pad, BOS, EOS, then the symbols in order.</summary>
    public static Dictionary<string, long[]> SmallMap(string symbols)
    {
        var map = new Dictionary<string, long[]> { ["_"] = [0], ["^"] = [1], ["$"] = [2] };
        foreach (var rune in symbols.EnumerateRunes())
            map.TryAdd(rune.ToString(), [map.Count]);
        return map;
    }

    /// <summary>English IPA as eSpeak writes it, plus punctuation and tone digits.</summary>
    public const string EnglishSymbols = " !'(),-.:;?abcdefhijklmnopqrstuvwxyzæçðøŋœɐɑɒɔɕəɚɛɜɡɪɹɾʃʊʌʒʔˈˌːθχᵻ0123456789";

    public string ToJson()
    {
        var inference = new Dictionary<string, object> { ["noise_scale"] = 0.667, ["length_scale"] = LengthScale, ["noise_w"] = 0.8 };
        if (PhonemeSilence is not null) inference["phoneme_silence"] = PhonemeSilence;
        return JsonSerializer.Serialize(new Dictionary<string, object?>
        {
            ["audio"] = new { sample_rate = SampleRate, quality = "medium" },
            ["espeak"] = new { voice = EspeakVoice },
            ["language"] = new { code = LanguageCode },
            ["inference"] = inference,
            ["phoneme_type"] = PhonemeType,
            ["phoneme_id_map"] = PhonemeIdMap,
            ["num_speakers"] = NumSpeakers,
            ["speaker_id_map"] = Speakers ?? new Dictionary<string, long>(),
            ["piper_version"] = "1.0.0",
        });
    }
}

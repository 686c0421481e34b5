using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Audio;
using Orleans.Tts.Synthesis.Engines.Models;
using Orleans.Tts.Synthesis.Engines.Phonemes;
using Orleans.Tts.Models;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Synthesis.Engines.Piper;

/// <summary>
/// Piper (VITS) voices: every <c>NAME.onnx</c> with its config (<c>NAME.onnx.json</c>, as Piper's download puts them) anywhere
/// under the models directory (<see cref="ModelFiles"/>). Text is phonemised by eSpeak NG
/// as Piper does, each sentence inferred separately and followed by Piper's sentence silence. A multi-speaker
/// model gives <c>piper:NAME</c> (its first speaker) and one <c>piper:NAME#speaker</c> per speaker.
/// </summary>
public sealed class PiperEngine(ModelOptions options, OnnxRuntimeProvider onnx, InferenceThreads inference, PhonemeFrontEnd frontEnd,
    ILogger<PiperEngine> logger)
    : IReloadableEngine
{
    public const string EngineName = "piper";

    private readonly ModelDirectory<Catalog> _directory = new(EngineName, options, Catalog.Empty, logger);

    private sealed record PiperVoice(VoiceInfo Info, PiperModel Model, long SpeakerId);

    private sealed record Catalog(
        IReadOnlyDictionary<string, PiperVoice> Voices,
        IReadOnlyList<VoiceInfo> List,
        IReadOnlyDictionary<string, PiperModel> ByPath,
        IReadOnlyList<ModelLoadFailure> Failures) : ILoadedModels<Catalog>
    {
        public static Catalog Empty { get; } = new(new Dictionary<string, PiperVoice>(), [], new Dictionary<string, PiperModel>(), []);

        public IEnumerable<IDisposable> Models => ByPath.Values;

        /// <summary>The digest of the loaded models' file stamps, computed once per catalog (it is read on every request).</summary>
        public string Version { get; } = ModelFileStamp.Digest(ByPath.Values.Select(m => m.Stamp));

        public Catalog WithFailures(IReadOnlyList<ModelLoadFailure> failures) => this with { Failures = failures };
    }

    private Catalog Current => _directory.Current;

    public string Name => EngineName;
    public int MaxParallelism => options.Parallelism;
    public IReadOnlyList<VoiceInfo> Voices => Current.List;
    public IReadOnlyList<ModelLoadFailure> Failures => Current.Failures;

    public Task StartAsync(CancellationToken cancellationToken) => ReloadAsync(cancellationToken);

    public Task ReloadAsync(CancellationToken cancellationToken) => _directory.ReloadAsync(Scan, cancellationToken);

    private Catalog Scan(Catalog previous, ModelScan scan)
    {
        var root = _directory.Root;
        var files = ModelFiles.Find(root);
        var models = new Dictionary<string, PiperModel>(StringComparer.Ordinal);
        var voices = new Dictionary<string, PiperVoice>(StringComparer.OrdinalIgnoreCase);
        foreach (var (modelPath, configPath) in files.Piper)
        {
            scan.Try(modelPath, () =>
            {
                var name = Path.GetFileNameWithoutExtension(modelPath);
                if (voices.ContainsKey($"{EngineName}:{name}"))
                    throw new InvalidDataException($"Another model is already named '{name}'; voice ids come from file names, so rename one.");
                var model = ModelScan.Reuse(previous.ByPath.GetValueOrDefault(modelPath), ModelFileStamp.Of(modelPath, configPath),
                    () => PiperModel.Load(modelPath, configPath, onnx));
                models[modelPath] = model;
                foreach (var voice in VoicesOf(model)) voices[voice.Info.Id] = voice;
            });
        }
        // Reported once, here: a .onnx that is neither engine's is most often a Piper voice whose config is missing.
        foreach (var skipped in files.SkippedModels) scan.Fail(skipped.Path, skipped.Reason);
        if (models.Count > 0)
            logger.LogInformation("Piper: {Models} models, {Voices} voices from {Directory}", models.Count, voices.Count, root);
        var list = voices.Values.Select(v => v.Info).OrderBy(v => v.Id, StringComparer.Ordinal).ToList();
        return new Catalog(voices, list, models, scan.Failures);
    }

    private static IEnumerable<PiperVoice> VoicesOf(PiperModel model)
    {
        var c = model.Config;
        var id = $"{EngineName}:{model.Name}";
        var speakers = c.MultiSpeaker ? c.Speakers.Select(s => s.Name).ToList() : null;
        yield return new PiperVoice(new VoiceInfo(id, model.Name, EngineName, [c.Language], c.SampleRate, Speakers: speakers, Cost: VoiceCost.Expensive), model, 0);
        foreach (var speaker in c.MultiSpeaker ? c.Speakers : [])
            yield return new PiperVoice(
                new VoiceInfo($"{id}#{speaker.Name}", $"{model.Name} ({speaker.Name})", EngineName, [c.Language], c.SampleRate, Speakers: [speaker.Name], Cost: VoiceCost.Expensive),
                model, speaker.Id);
    }

    public async ValueTask<AudioClip> SynthesizeSentenceAsync(string voiceId, string sentence, SynthesisOptions synthesisOptions, CancellationToken cancellationToken)
    {
        if (!Current.Voices.TryGetValue(voiceId, out var voice)) throw new UnknownVoiceException(voiceId);
        var model = voice.Model;
        var config = model.Config;
        var sentences = config.UsesEspeak
            ? PiperPhonemes.Sentences(await frontEnd.PhonemizeAsync(config.EspeakVoice, config.Language, sentence, tie: null, cancellationToken))
            : PiperPhonemes.Codepoints(sentence);

        var lengthScale = (float)(config.LengthScale / synthesisOptions.Speed);
        var sentenceSilence = (int)(options.PiperSentenceSilence.TotalSeconds * config.SampleRate);
        // Each phrase's model output and the silence after it; the PCM is written once at the end, into one array of
        // the exact length (its zeros are the silences), instead of growing a list sample by sample.
        var parts = new List<(float[] Audio, int SilenceAfter)>();
        var missing = new Dictionary<Rune, int>();
        try
        {
            foreach (var phonemes in sentences)
            {
                foreach (var (phrase, silenceSeconds) in PiperPhonemes.Phrases(phonemes, config.PhonemeSilenceSeconds))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var ids = PiperPhonemeIds.Build(phrase, config.PhonemeIdMap, missing);
                    parts.Add((await inference.RunAsync(() => model.Infer(ids, lengthScale, voice.SpeakerId, cancellationToken), cancellationToken),
                        (int)(silenceSeconds * config.SampleRate)));
                }
                if (parts.Count == 0) parts.Add(([], sentenceSilence));
                else parts[^1] = parts[^1] with { SilenceAfter = parts[^1].SilenceAfter + sentenceSilence };
            }
        }
        catch (ObjectDisposedException e)
        {
            throw new EngineUnavailableException($"Voice '{voiceId}' was reloaded while this request was using it; retry.", e);
        }
        if (missing.Count > 0 && logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("Piper voice {Voice} has no ids for phonemes {Phonemes}; they were dropped", voiceId,
                string.Join(", ", missing.Select(m => $"'{m.Key}' (U+{m.Key.Value:X4}) ×{m.Value}")));
        var pcm = Assemble(parts);
        // Piper has no pitch control; the shift is applied to the audio, keeping its duration.
        var samples = synthesisOptions.Pitch == 0 ? pcm : PitchShift.Shift(pcm, config.SampleRate, synthesisOptions.Pitch);
        return new AudioClip(config.SampleRate, samples);
    }

    /// <summary>The phrases' audio, each peak-normalised, followed by its silence, in one array.</summary>
    internal static short[] Assemble(IReadOnlyList<(float[] Audio, int SilenceAfter)> parts)
    {
        var length = 0;
        foreach (var (audio, silence) in parts) length = checked(length + audio.Length + silence);
        var pcm = new short[length];
        var at = 0;
        foreach (var (audio, silence) in parts)
        {
            PeakNormalise(audio, pcm.AsSpan(at, audio.Length));
            at += audio.Length + silence;
        }
        return pcm;
    }

    /// <summary>Piper scales every phrase to full range (peak at 32767, gain at most 100×) and truncates to 16 bits.</summary>
    internal static void PeakNormalise(ReadOnlySpan<float> audio, Span<short> pcm)
    {
        var peak = 0.01f;
        foreach (var x in audio)
            if (Math.Abs(x) > peak) peak = Math.Abs(x);
        var scale = 32767f / peak;
        for (var i = 0; i < audio.Length; i++)
        {
            var x = audio[i];
            pcm[i] = float.IsNaN(x) ? (short)0 : (short)Math.Clamp(x * scale, short.MinValue, short.MaxValue);
        }
    }

    public IReadOnlyDictionary<string, string> Describe()
    {
        var c = Current;
        return _directory.WithFailureFacts(new Dictionary<string, string>
        {
            ["piper.models"] = c.ByPath.Count.ToString(CultureInfo.InvariantCulture),
            ["piper.voices"] = c.List.Count.ToString(CultureInfo.InvariantCulture),
            // Part of the result cache key: a reloaded model must not be answered from the old one's audio.
            ["piper.version"] = c.Version,
        });
    }

    public ValueTask DisposeAsync()
    {
        _directory.Dispose();
        return ValueTask.CompletedTask;
    }
}

using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Audio;
using Orleans.Tts.Grains.Engines.Models;
using Orleans.Tts.Grains.Engines.Phonemes;
using Orleans.Tts.Models;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Grains.Engines.Piper;

/// <summary>
/// Piper (VITS) voices from <c>models/piper/**/NAME.onnx</c> + <c>NAME.onnx.json</c>. Text is phonemised by eSpeak NG
/// as Piper does, each sentence inferred separately and followed by Piper's sentence silence. A multi-speaker
/// model gives <c>piper:NAME</c> (its first speaker) and one <c>piper:NAME#speaker</c> per speaker.
/// </summary>
public sealed class PiperEngine(ModelOptions options, OnnxRuntimeProvider onnx, InferenceThreads inference, PhonemeFrontEnd frontEnd,
    ILogger<PiperEngine> logger)
    : IReloadableEngine
{
    public const string EngineName = "piper";

    private readonly SemaphoreSlim _reloading = new(1, 1);
    private volatile Catalog _catalog = Catalog.Empty;
    private int _disposed;

    private sealed record PiperVoice(VoiceInfo Info, PiperModel Model, long SpeakerId);

    private sealed record Catalog(
        IReadOnlyDictionary<string, PiperVoice> Voices,
        IReadOnlyList<VoiceInfo> List,
        IReadOnlyDictionary<string, PiperModel> Models,
        IReadOnlyList<ModelLoadFailure> Failures)
    {
        public static Catalog Empty { get; } = new(new Dictionary<string, PiperVoice>(), [], new Dictionary<string, PiperModel>(), []);
    }

    public string Name => EngineName;
    public int MaxParallelism => options.Parallelism;
    public IReadOnlyList<VoiceInfo> Voices => _catalog.List;
    public IReadOnlyList<ModelLoadFailure> Failures => _catalog.Failures;

    public Task StartAsync(CancellationToken cancellationToken) => ReloadAsync(cancellationToken);

    public async Task ReloadAsync(CancellationToken cancellationToken)
    {
        await _reloading.WaitAsync(cancellationToken);
        try
        {
            var old = _catalog;
            Catalog next;
            try
            {
                next = Scan(old);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The directory itself could not be read: keep serving what is loaded, and say why.
                logger.LogError("Piper models could not be scanned: {Reason}", e.Message);
                next = old with { Failures = [new ModelLoadFailure(EngineName, EngineName, e.Message)] };
            }
            _catalog = next;
            // Models no longer listed are freed once the runs already using them finish.
            foreach (var (path, model) in old.Models)
                if (!next.Models.TryGetValue(path, out var kept) || !ReferenceEquals(kept, model)) model.Dispose();
        }
        finally
        {
            _reloading.Release();
        }
    }

    private Catalog Scan(Catalog previous)
    {
        var root = Path.Combine(options.FullDirectory, EngineName);
        if (!Directory.Exists(root)) return Catalog.Empty;

        var models = new Dictionary<string, PiperModel>(StringComparer.Ordinal);
        var failures = new List<ModelLoadFailure>();
        var voices = new Dictionary<string, PiperVoice>(StringComparer.OrdinalIgnoreCase);
        foreach (var modelPath in Directory.EnumerateFiles(root, "*.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var relative = options.Relative(modelPath);
            var configPath = File.Exists(modelPath + ".json") ? modelPath + ".json" : Path.ChangeExtension(modelPath, ".json");
            try
            {
                if (!File.Exists(configPath))
                    throw new FileNotFoundException($"There is no config {Path.GetFileName(modelPath)}.json next to the model.");
                var name = Path.GetFileNameWithoutExtension(modelPath);
                if (voices.ContainsKey($"{EngineName}:{name}"))
                    throw new InvalidDataException($"Another model is already named '{name}'; voice ids come from file names, so rename one.");
                var model = previous.Models.TryGetValue(modelPath, out var loaded) && loaded.Stamp == ModelFileStamp.Of(modelPath, configPath)
                    ? loaded
                    : PiperModel.Load(modelPath, configPath, onnx);
                models[modelPath] = model;
                foreach (var voice in VoicesOf(model)) voices[voice.Info.Id] = voice;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                failures.Add(new ModelLoadFailure(EngineName, relative, e.Message));
                logger.LogError("Piper model {Model} did not load: {Reason}", relative, e.Message);
            }
        }
        if (models.Count > 0)
            logger.LogInformation("Piper: {Models} models, {Voices} voices from {Directory}", models.Count, voices.Count, root);
        var list = voices.Values.Select(v => v.Info).OrderBy(v => v.Id, StringComparer.Ordinal).ToList();
        return new Catalog(voices, list, models, failures);
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
        if (!_catalog.Voices.TryGetValue(voiceId, out var voice)) throw new UnknownVoiceException(voiceId);
        var model = voice.Model;
        var config = model.Config;
        var sentences = config.UsesEspeak
            ? PiperPhonemes.Sentences(await frontEnd.PhonemizeAsync(config.EspeakVoice, config.Language, sentence, tie: null, cancellationToken))
            : PiperPhonemes.Codepoints(sentence);

        var lengthScale = (float)(config.LengthScale / synthesisOptions.Speed);
        var sentenceSilence = (int)(options.PiperSentenceSilence.TotalSeconds * config.SampleRate);
        var pcm = new List<short>();
        var missing = new Dictionary<Rune, int>();
        try
        {
            foreach (var phonemes in sentences)
            {
                foreach (var (phrase, silenceSeconds) in PiperPhonemes.Phrases(phonemes, config.PhonemeSilenceSeconds))
                {
                    cancellationToken.ThrowIfCancellationRequested();
                    var ids = PiperPhonemeIds.Build(phrase, config.PhonemeIdMap, missing);
                    AppendPeakNormalised(pcm, await inference.RunAsync(() => model.Infer(ids, lengthScale, voice.SpeakerId), cancellationToken));
                    pcm.AddRange(new short[(int)(silenceSeconds * config.SampleRate)]);
                }
                pcm.AddRange(new short[sentenceSilence]);
            }
        }
        catch (ObjectDisposedException e)
        {
            throw new EngineUnavailableException($"Voice '{voiceId}' was reloaded while this request was using it; retry.", e);
        }
        if (missing.Count > 0 && logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("Piper voice {Voice} has no ids for phonemes {Phonemes}; they were dropped", voiceId,
                string.Join(", ", missing.Select(m => $"'{m.Key}' (U+{m.Key.Value:X4}) ×{m.Value}")));
        // Piper has no pitch control; the shift is applied to the audio, keeping its duration.
        var samples = synthesisOptions.Pitch == 0 ? [.. pcm] : PitchShift.Shift([.. pcm], config.SampleRate, synthesisOptions.Pitch);
        return new AudioClip(config.SampleRate, samples);
    }

    /// <summary>Piper scales every phrase to full range (peak at 32767, gain at most 100×) and truncates to 16 bits.</summary>
    internal static void AppendPeakNormalised(List<short> pcm, ReadOnlySpan<float> audio)
    {
        var peak = 0.01f;
        foreach (var x in audio)
            if (Math.Abs(x) > peak) peak = Math.Abs(x);
        var scale = 32767f / peak;
        foreach (var x in audio)
            pcm.Add(float.IsNaN(x) ? (short)0 : (short)Math.Clamp(x * scale, short.MinValue, short.MaxValue));
    }

    public IReadOnlyDictionary<string, string> Describe()
    {
        var c = _catalog;
        var facts = new Dictionary<string, string>
        {
            ["piper.models"] = c.Models.Count.ToString(CultureInfo.InvariantCulture),
            ["piper.voices"] = c.List.Count.ToString(CultureInfo.InvariantCulture),
            // Part of the result cache key: a reloaded model must not be answered from the old one's audio.
            ["piper.version"] = ModelFileStamp.Digest(c.Models.Values.Select(m => m.Stamp)),
        };
        foreach (var f in c.Failures) facts[$"piper.failed:{f.Path}"] = f.Error;
        return facts;
    }

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return ValueTask.CompletedTask;
        foreach (var model in _catalog.Models.Values) model.Dispose();
        _catalog = Catalog.Empty;
        return ValueTask.CompletedTask;
    }
}

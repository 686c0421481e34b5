using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Audio;
using Orleans.Tts.Synthesis.Engines.Espeak;
using Orleans.Tts.Synthesis.Engines.Models;
using Orleans.Tts.Synthesis.Engines.Phonemes;
using Orleans.Tts.Models;
using Orleans.Tts.Speakers;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Synthesis.Engines.Kokoro;

/// <summary>
/// Kokoro voices: a model <c>*.onnx</c> with its style tables <c>voices/NAME.bin</c> beside it, anywhere under the models
/// directory (<see cref="ModelFiles"/>), one voice per table (<c>kokoro:NAME</c>), plus blends of them named at request time (<c>kokoro:af_bella*0.7+af_sky*0.3</c>). Text is
/// phonemised by eSpeak NG in the voice's language and mapped to Kokoro's vocabulary; input longer than one inference
/// takes is split at sentence or clause breaks and the audio joined.
/// </summary>
public sealed class KokoroEngine(ModelOptions options, OnnxRuntimeProvider onnx, InferenceThreads inference, EspeakTextFrontEnd segmenter,
    IPhonemizer phonemizer, ILogger<KokoroEngine> logger) : IReloadableEngine, IComposedVoices
{
    public const string EngineName = "kokoro";
    private const string Prefix = EngineName + ":";
    private const int MaxCachedBlends = 256;

    private readonly KokoroVocabulary _vocabulary = KokoroVocabulary.Load();
    private readonly ModelDirectory<Catalog> _directory = new(EngineName, options, Catalog.Empty(), logger);
    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<byte[], KokoroVoiceTable> _speakerTables = [];

    private sealed record KokoroVoice(VoiceInfo Info, KokoroVoiceTable Table, KokoroLanguage Language);

    private sealed record LoadedTable(ModelFileStamp Stamp, KokoroVoiceTable Table) : IStampedFile;

    private sealed record Catalog(
        KokoroModel? Model,
        IReadOnlyDictionary<string, KokoroVoice> Voices,
        IReadOnlyList<VoiceInfo> List,
        IReadOnlyDictionary<string, LoadedTable> Tables,
        IReadOnlyList<ModelLoadFailure> Failures) : ILoadedModels<Catalog>
    {
        // Blends are built from this catalog's tables, so they are cached with it and dropped on reload.
        public ConcurrentDictionary<string, KokoroVoice> Blends { get; } = new(StringComparer.OrdinalIgnoreCase);

        public static Catalog Empty() => new(null, new Dictionary<string, KokoroVoice>(), [], new Dictionary<string, LoadedTable>(), []);

        public IEnumerable<IDisposable> Models => Model is null ? [] : [Model];

        /// <summary>The digest of the model's and voice tables' file stamps, computed once per catalog (it is read on every request).</summary>
        public string Version { get; } = ModelFileStamp.Digest(Tables.Values.Select(t => t.Stamp).Concat(Model is null ? [] : [Model.Stamp]));

        public Catalog WithFailures(IReadOnlyList<ModelLoadFailure> failures) => new(Model, Voices, List, Tables, failures);
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
        var files = ModelFiles.Find(_directory.Root);
        KokoroModel? model = null;
        string? voicesDir = null;
        foreach (var (path, tablesFolder) in files.Kokoro)
        {
            if (model is not null)
            {
                scan.Fail(path, $"Only one Kokoro model is served; {options.Relative(model.Path)} is already loaded, so this one is ignored.");
                continue;
            }
            // The tables are read even when the model fails, so that their own faults are reported too.
            voicesDir ??= tablesFolder;
            if (scan.Try(path, () => model = ModelScan.Reuse(previous.Model is { } loaded && loaded.Path == path ? loaded : null, ModelFileStamp.Of(path),
                    () => KokoroModel.Load(path, onnx))))
                voicesDir = tablesFolder;
        }
        foreach (var orphan in files.OrphanVoiceTables) scan.Fail(orphan.Path, orphan.Reason);

        var tablePaths = voicesDir is null ? [] : Directory.EnumerateFiles(voicesDir, "*.bin").Order(StringComparer.Ordinal).ToList();
        var tables = new Dictionary<string, LoadedTable>(StringComparer.Ordinal);
        var voices = new Dictionary<string, KokoroVoice>(StringComparer.OrdinalIgnoreCase);
        foreach (var path in tablePaths)
        {
            var name = Path.GetFileNameWithoutExtension(path);
            scan.Try(path, () =>
            {
                if (KokoroBlend.LooksLikeBlend(name) || name.Contains(':'))
                    throw new InvalidDataException("Voice names cannot contain '+', '*' or ':' (they write blends and engine prefixes).");
                var language = KokoroLanguage.Of(name);
                var stamp = ModelFileStamp.Of(path);
                var table = ModelScan.Reuse(previous.Tables.GetValueOrDefault(path), stamp, () => new LoadedTable(stamp, KokoroVoiceTable.Load(path)));
                tables[path] = table;
                if (model is null) return;
                var info = new VoiceInfo(Prefix + name, name, EngineName, [language.Code], KokoroModel.SampleRate, KokoroLanguage.GenderOf(name), Cost: VoiceCost.Expensive);
                voices[info.Id] = new KokoroVoice(info, table.Table, language);
            });
        }
        if (model is not null)
            logger.LogInformation("Kokoro: model {Model}, {Voices} voices", Path.GetFileName(model.Path), voices.Count);
        var list = voices.Values.Select(v => v.Info).OrderBy(v => v.Id, StringComparer.Ordinal).ToList();
        return new Catalog(model, voices, list, tables, scan.Failures);
    }

    public VoiceInfo? Compose(string voiceId) => Find(Current, voiceId)?.Info;

    private KokoroVoice? Find(Catalog catalog, string voiceId)
    {
        if (catalog.Voices.TryGetValue(voiceId, out var voice)) return voice;
        if (!voiceId.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) || !KokoroBlend.LooksLikeBlend(voiceId)) return null;
        if (catalog.Blends.TryGetValue(voiceId, out var cached)) return cached;
        if (catalog.Model is null) throw new UnknownVoiceException(voiceId, $"Voice blend '{voiceId}' needs a Kokoro model, and none is loaded.");

        KokoroBlend blend;
        try
        {
            blend = KokoroBlend.Parse(voiceId[Prefix.Length..]);
        }
        catch (FormatException e)
        {
            throw new UnknownVoiceException(voiceId, e.Message);
        }
        var parts = new List<(KokoroVoice Voice, double Weight)>();
        foreach (var (name, weight) in blend.Parts)
        {
            if (!catalog.Voices.TryGetValue(Prefix + name, out var part))
                throw new UnknownVoiceException(voiceId,
                    $"Voice blend '{voiceId}' names '{name}', which is not a Kokoro voice here. GET /v1/voices lists the kokoro:… voices that can be blended.");
            parts.Add((part, weight));
        }
        var genders = parts.Select(p => p.Voice.Info.Gender).Distinct().ToList();
        var displayName = string.Join(" + ", parts.Select(p => $"{p.Voice.Info.Name} {p.Weight.ToString("0.##%", CultureInfo.InvariantCulture)}"));
        var info = new VoiceInfo(voiceId, displayName, EngineName, parts[0].Voice.Info.Languages, KokoroModel.SampleRate, genders.Count == 1 ? genders[0] : null, Cost: VoiceCost.Expensive);
        var composed = new KokoroVoice(info, KokoroVoiceTable.Blend([.. parts.Select(p => (p.Voice.Table, p.Weight))]), parts[0].Voice.Language);
        if (catalog.Blends.Count < MaxCachedBlends) catalog.Blends.TryAdd(voiceId, composed);
        return composed;
    }

    public async ValueTask<AudioClip> SynthesizeSentenceAsync(string voiceId, string sentence, SynthesisOptions synthesisOptions, CancellationToken cancellationToken)
    {
        var catalog = Current;
        var voice = Find(catalog, voiceId) ?? throw new UnknownVoiceException(voiceId);
        var model = catalog.Model ?? throw new UnknownVoiceException(voiceId);
        var table = SpeakerTable(synthesisOptions.Speaker) ?? voice.Table;
        var missing = new Dictionary<Rune, int>();
        var tokens = _vocabulary.Encode(await PhonemesAsync(voice.Language, sentence, cancellationToken), missing);
        if (missing.Count > 0 && logger.IsEnabled(LogLevel.Debug))
            logger.LogDebug("Kokoro has no tokens for phonemes {Phonemes}; they were dropped",
                string.Join(", ", missing.Select(m => $"'{m.Key}' (U+{m.Key.Value:X4}) ×{m.Value}")));

        var audio = new List<float>();
        // Each token's samples in the clip, from the model's durations; only for timed requests to a model that has them.
        var timed = synthesisOptions.Words && model.HasDurations;
        int[]? starts = timed ? Enumerable.Repeat(-1, tokens.Count).ToArray() : null, ends = timed ? new int[tokens.Count] : null;
        try
        {
            foreach (var (first, count) in KokoroChunks.Ranges(tokens))
            {
                cancellationToken.ThrowIfCancellationRequested();
                var chunk = tokens.GetRange(first, count);
                var style = table.Row(chunk.Count);
                var (samples, durations) = await inference.RunAsync(() => model.Infer(chunk, style, (float)synthesisOptions.Speed, timed, cancellationToken), cancellationToken);
                if (starts is not null && ends is not null)
                {
                    if (durations is null) starts = null;
                    else Place(durations, audio.Count, samples.Length, starts, ends, first);
                }
                audio.AddRange(samples);
            }
        }
        catch (ObjectDisposedException e)
        {
            throw new EngineUnavailableException($"The Kokoro model was reloaded while this request was using it; retry.", e);
        }
        var clip = AudioClip.FromFloat(KokoroModel.SampleRate, audio.ToArray());
        if (starts is not null && ends is not null) clip = clip with { Words = KokoroWords.Times(sentence, tokens, starts, ends) };
        // Kokoro has no pitch control; the shift is applied to the audio, keeping its duration.
        return synthesisOptions.Pitch == 0 ? clip : clip with { Samples = PitchShift.Shift(clip.Samples, clip.SampleRate, synthesisOptions.Pitch) };
    }

    /// <summary>
    /// Each token of one chunk's run placed in the clip: <paramref name="frames"/> has one duration per id, the leading pad
    /// first, and the run's audio starts at <paramref name="offset"/>. Times past the run's audio are cut to its end.
    /// </summary>
    private static void Place(double[] frames, int offset, int length, int[] starts, int[] ends, int first)
    {
        var end = offset + length;
        var at = offset + frames[0] * KokoroModel.FrameSamples;
        for (var i = 1; i < frames.Length - 1; i++)
        {
            starts[first + i - 1] = (int)Math.Min(end, Math.Round(at));
            at += Math.Max(0, frames[i]) * KokoroModel.FrameSamples;
            ends[first + i - 1] = (int)Math.Min(end, Math.Round(at));
        }
    }

    /// <summary>A speaker's style table (its embedding), parsed once per embedding instance; null when the speaker has none.</summary>
    private KokoroVoiceTable? SpeakerTable(SpeakerEmbedding? speaker) =>
        speaker is { Kind: SpeakerEmbedding.KokoroStyle } ? _speakerTables.GetValue(speaker.Data, data => KokoroVoiceTable.FromBytes(data)) : null;

    /// <summary>The style table of a voice (a listed voice or a blend id); throws <see cref="UnknownVoiceException"/> saying why not.</summary>
    public KokoroVoiceTable StyleTable(string voiceId) => (Find(Current, voiceId) ?? throw new UnknownVoiceException(voiceId,
        $"'{voiceId}' is not a Kokoro voice here. GET /v1/voices lists the kokoro:… voices.")).Table;

    /// <summary>The weighted mean of the named style tables (names with or without <c>kokoro:</c>; weights normalised to sum 1).</summary>
    public KokoroVoiceTable BlendTables(IReadOnlyList<SpeakerBlendPart> parts)
    {
        var catalog = Current;
        if (parts.Count == 0) throw new UnknownVoiceException(EngineName, "A blend needs at least one style table.");
        var total = parts.Sum(p => p.Weight);
        if (!double.IsFinite(total) || total <= 0 || parts.Any(p => !double.IsFinite(p.Weight) || p.Weight <= 0))
            throw new UnknownVoiceException(EngineName, "Blend weights must be positive numbers.");
        return KokoroVoiceTable.Blend([.. parts.Select(p =>
        {
            var name = p.Table.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) ? p.Table[Prefix.Length..] : p.Table;
            var voice = catalog.Voices.GetValueOrDefault(Prefix + name) ?? throw new UnknownVoiceException(Prefix + name,
                $"The blend names style table '{name}', which is not a Kokoro voice here. GET /v1/voices lists the kokoro:… voices that can be blended.");
            return (voice.Table, p.Weight / total);
        })]);
    }

    /// <summary>The sentence in Kokoro's phoneme symbols, clauses closed by their punctuation and joined by spaces.</summary>
    internal async ValueTask<string> PhonemesAsync(KokoroLanguage language, string sentence, CancellationToken cancellationToken)
    {
        var phonemes = new StringBuilder();
        void Append(string clause, string terminator)
        {
            clause = clause.Trim();
            if (clause.Length == 0 && terminator.Length == 0) return;
            if (phonemes.Length > 0 && phonemes[^1] != ' ') phonemes.Append(' ');
            phonemes.Append(clause).Append(terminator);
        }

        foreach (var segment in segmenter.Segment(language.EspeakVoice, language.Code, sentence))
        {
            var dialect = KokoroPhonemes.DialectOf(segment.Voice);
            if (dialect == KokoroDialect.Mandarin)
            {
                var (text, tones) = KokoroPhonemes.NeutralPinyin(segment.Text);
                var clauses = await phonemizer.PhonemizeAsync(segment.Voice, text, KokoroPhonemes.Tie, cancellationToken);
                var converted = KokoroPhonemes.MandarinClauses(clauses, tones);
                for (var i = 0; i < clauses.Count; i++) Append(converted[i], clauses[i].Terminator);
            }
            else
            {
                foreach (var clause in await phonemizer.PhonemizeAsync(segment.Voice, segment.Text, KokoroPhonemes.Tie, cancellationToken))
                    Append(KokoroPhonemes.FromEspeak(clause.Phonemes, dialect), clause.Terminator);
            }
        }
        return phonemes.ToString();
    }

    public IReadOnlyDictionary<string, string> Describe()
    {
        var c = Current;
        return _directory.WithFailureFacts(new Dictionary<string, string>
        {
            ["kokoro.model"] = c.Model is null ? "none" : options.Relative(c.Model.Path),
            ["kokoro.voices"] = c.List.Count.ToString(CultureInfo.InvariantCulture),
            // Part of the result cache key: a reloaded model or voice table must not be answered from the old audio.
            ["kokoro.version"] = c.Version,
        });
    }

    public ValueTask DisposeAsync()
    {
        _directory.Dispose();
        return ValueTask.CompletedTask;
    }
}

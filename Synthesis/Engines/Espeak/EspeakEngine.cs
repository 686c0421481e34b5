using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Audio;
using Orleans.Tts.Synthesis.Engines.Phonemes;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Synthesis.Text;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Synthesis.Engines.Espeak;

/// <summary>
/// eSpeak NG voices, rendered by a pool of engine-host processes (one isolated eSpeak instance
/// each, so every core is used and a native crash costs one process, not the silo). A host that
/// dies or hangs is killed and replaced, and the sentence is retried once on another host.
/// </summary>
public sealed class EspeakEngine(EspeakEngineOptions options, EspeakTextFrontEnd frontEnd, ILogger<EspeakEngine> logger) : ITtsEngine, IPhonemizer
{
    public const string EngineName = "espeak";
    private const int DefaultWordsPerMinute = 175, MinWordsPerMinute = 80, MaxWordsPerMinute = 1000;

    private readonly Channel<EngineHostProcess> _idle = Channel.CreateUnbounded<EngineHostProcess>();
    // Hosts at below-normal priority for background (job) sentences (EspeakEngineOptions.BackgroundHosts).
    private readonly Channel<EngineHostProcess> _idleBackground = Channel.CreateUnbounded<EngineHostProcess>();
    private readonly ConcurrentDictionary<int, EngineHostProcess> _hosts = new();
    private readonly CancellationTokenSource _stopping = new();
    private Dictionary<string, EspeakVoice> _voices = [];
    private int _restarts;
    private int _disposed;
    private int _sampleRate;
    private string _version = "";

    private sealed record EspeakVoice(VoiceInfo Info, string EspeakName);

    public string Name => EngineName;
    public int MaxParallelism => options.Hosts;
    public bool RunsBackgroundApart => options.BackgroundHosts > 0;
    public IReadOnlyList<VoiceInfo> Voices { get; private set; } = [];

    /// <summary>Process ids of the live hosts (tests kill one to prove recovery).</summary>
    public IReadOnlyCollection<int> HostProcessIds => _hosts.Keys.ToArray();
    public int Restarts => Volatile.Read(ref _restarts);

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (options.Hosts < 1) throw new ArgumentOutOfRangeException(nameof(options), "At least one engine host is needed.");
        var started = await Task.WhenAll(Enumerable.Range(0, options.Hosts + options.BackgroundHosts)
            .Select(i => EngineHostProcess.StartAsync(options, logger, cancellationToken, background: i >= options.Hosts)));
        foreach (var host in started) Adopt(host);
        _sampleRate = started[0].SampleRate;
        _version = started[0].Version;

        var host0 = await _idle.Reader.ReadAsync(cancellationToken);
        try
        {
            var (response, _) = await host0.CallAsync(new HostRequest("voices"), options.StartTimeout, cancellationToken);
            BuildVoices(response.Voices ?? []);
        }
        finally
        {
            Return(host0);
        }
        logger.LogInformation("eSpeak NG {Version}: {Hosts} engine hosts (and {Background} for background work at below-normal priority), {Voices} voices at {Rate} Hz",
            _version, options.Hosts, options.BackgroundHosts, Voices.Count, _sampleRate);
    }

    private void BuildVoices(IReadOnlyList<EspeakVoiceEntry> entries)
    {
        var voices = new Dictionary<string, EspeakVoice>(StringComparer.OrdinalIgnoreCase);
        // Ids are the primary language (espeak:en-us); a second voice for the same language is
        // named by its file (espeak:yue-latn-jyutping). Sorted by file for stable ids.
        foreach (var e in entries.Where(e => e.Languages.Count > 0).OrderBy(e => e.Identifier, StringComparer.Ordinal))
        {
            var key = e.Languages[0].ToLowerInvariant();
            if (voices.ContainsKey($"{EngineName}:{key}")) key = Path.GetFileName(e.Identifier).ToLowerInvariant();
            if (voices.ContainsKey($"{EngineName}:{key}")) continue;
            var id = $"{EngineName}:{key}";
            var languages = e.Languages.Select(l => l.ToLowerInvariant()).Distinct().ToList();
            var name = e.Name.Replace('_', ' ');
            voices[id] = new EspeakVoice(new VoiceInfo(id, name, EngineName, languages, _sampleRate, e.Gender), e.Identifier);
        }
        _voices = voices;
        Voices = voices.Values.Select(v => v.Info).OrderBy(v => v.Id, StringComparer.Ordinal).ToList();
    }

    public async ValueTask<AudioClip> SynthesizeSentenceAsync(string voiceId, string sentence, SynthesisOptions synthesisOptions, CancellationToken cancellationToken)
    {
        var (segments, maps) = Segment(voiceId, sentence, synthesisOptions.Words);
        if (segments.Count == 0) return AudioClip.Empty(_sampleRate);
        var prosody = ProsodyFor(synthesisOptions);
        var request = new HostRequest("synth", segments, prosody, Words: synthesisOptions.Words ? true : null);

        return await OnHostAsync(synthesisOptions, async host =>
        {
            var (response, pcm) = await host.CallAsync(request, options.SentenceTimeout, cancellationToken);
            var stretch = StretchFor(synthesisOptions);
            if (stretch > 1.0) pcm = TimeStretch.Stretch(pcm, response.SampleRate, stretch);
            var words = maps is null ? null : EspeakWords.From(response.Words ?? [], response.SpeechEnd ?? pcm.Length, segments, maps, pcm, response.SampleRate, stretch);
            return new AudioClip(response.SampleRate, pcm, words);
        }, cancellationToken);
    }

    /// <summary>
    /// A background sentence packed by the low-priority engine host that synthesises it, with its words when asked for, so the
    /// silo neither holds nor compresses its samples. Null without background hosts (packing would take CPU from the hosts
    /// interactive requests wait for) and for speeds below eSpeak's slowest rate, which the silo stretches.
    /// </summary>
    public async ValueTask<PackedSentence?> SynthesizeSentencePackedAsync(string voiceId, string sentence, SynthesisOptions synthesisOptions, CancellationToken cancellationToken)
    {
        if (!synthesisOptions.Background || options.BackgroundHosts == 0 || StretchFor(synthesisOptions) > 1.0) return null;
        var (segments, maps) = Segment(voiceId, sentence, synthesisOptions.Words);
        if (segments.Count == 0) return new PackedSentence(_sampleRate, 0, [], 0) { Words = maps is null ? null : [] };
        var request = new HostRequest("synth", segments, ProsodyFor(synthesisOptions), Words: maps is null ? null : true);
        return await OnHostAsync(synthesisOptions, async host =>
        {
            var (response, packed) = await host.CallPackedAsync(request, options.SentenceTimeout, cancellationToken);
            if (maps is null) return packed;
            try
            {
                packed.Words = EspeakWords.From(response.Words ?? [], response.SpeechEnd ?? packed.SampleCount, packed.SampleCount, segments, maps, response.SoundEnds ?? []);
                return packed;
            }
            catch
            {
                packed.Dispose();
                throw;
            }
        }, cancellationToken);
    }

    /// <summary>The sentence as eSpeak segments in the voice, with each segment's map back to the sentence when words are wanted.</summary>
    private (IReadOnlyList<EspeakSegment> Segments, IReadOnlyList<MappedText>? Maps) Segment(string voiceId, string sentence, bool words)
    {
        if (!_voices.TryGetValue(voiceId, out var voice)) throw new UnknownVoiceException(voiceId);
        return words
            ? frontEnd.SegmentMapped(voice.EspeakName, voice.Info.Languages[0], sentence)
            : (frontEnd.Segment(voice.EspeakName, voice.Info.Languages[0], sentence), null);
    }

    /// <summary>A call on an idle host of the options' kind (background or interactive), tried once more on another host if that one faults.</summary>
    private async Task<T> OnHostAsync<T>(SynthesisOptions synthesisOptions, Func<EngineHostProcess, Task<T>> call, CancellationToken cancellationToken)
    {
        var idle = synthesisOptions.Background && options.BackgroundHosts > 0 ? _idleBackground : _idle;
        for (var attempt = 1; ; attempt++)
        {
            var host = await idle.Reader.ReadAsync(cancellationToken);
            try
            {
                return await call(host);
            }
            catch (EngineHostFaultedException e) when (attempt < 2)
            {
                logger.LogWarning("Retrying a sentence on another engine host: {Reason}", e.Message);
            }
            finally
            {
                Return(host);
            }
        }
    }

    /// <summary>IPA phonemes of the text in an eSpeak voice (used by neural voices' front ends).</summary>
    public async ValueTask<string> PhonemizeAsync(string espeakVoice, string text, CancellationToken cancellationToken)
    {
        var host = await _idle.Reader.ReadAsync(cancellationToken);
        try
        {
            var (response, _) = await host.CallAsync(new HostRequest("phonemes", Voice: espeakVoice, Text: text), options.SentenceTimeout, cancellationToken);
            return response.Phonemes ?? "";
        }
        finally
        {
            Return(host);
        }
    }

    /// <summary>IPA clause by clause with each clause's closing punctuation (the neural voices' front end).</summary>
    public async ValueTask<IReadOnlyList<PhonemeClause>> PhonemizeAsync(string espeakVoice, string text, char? tie, CancellationToken cancellationToken)
    {
        var request = new HostRequest("clauses", Voice: espeakVoice, Text: text, Tie: tie?.ToString());
        for (var attempt = 1; ; attempt++)
        {
            var host = await _idle.Reader.ReadAsync(cancellationToken);
            try
            {
                var (response, _) = await host.CallAsync(request, options.SentenceTimeout, cancellationToken);
                return response.Clauses ?? [];
            }
            catch (EngineHostFaultedException e) when (attempt < 2)
            {
                logger.LogWarning("Retrying phonemisation on another engine host: {Reason}", e.Message);
            }
            finally
            {
                Return(host);
            }
        }
    }

    internal static EspeakProsody ProsodyFor(SynthesisOptions o)
    {
        var wpm = (int)Math.Round(DefaultWordsPerMinute * o.Speed);
        // eSpeak's pitch is 0–100 around 50; about 4 steps per semitone over ±12 semitones.
        var pitch = (int)Math.Clamp(Math.Round(50 + o.Pitch * 50 / 12), 0, 100);
        return new EspeakProsody(Math.Clamp(wpm, MinWordsPerMinute, MaxWordsPerMinute), pitch, 0);
    }

    /// <summary>How much longer the audio must be made after eSpeak, for speeds below its slowest rate.</summary>
    internal static double StretchFor(SynthesisOptions o)
    {
        var wpm = DefaultWordsPerMinute * o.Speed;
        return wpm < MinWordsPerMinute ? MinWordsPerMinute / wpm : 1.0;
    }

    private void Adopt(EngineHostProcess host)
    {
        _hosts[host.ProcessId] = host;
        (host.Background ? _idleBackground : _idle).Writer.TryWrite(host);
    }

    private void Return(EngineHostProcess host)
    {
        if (!host.Faulted && !host.HasExited)
        {
            (host.Background ? _idleBackground : _idle).Writer.TryWrite(host);
            return;
        }
        _hosts.TryRemove(host.ProcessId, out _);
        Interlocked.Increment(ref _restarts);
        _ = ReplaceAsync(host);
    }

    private async Task ReplaceAsync(EngineHostProcess dead)
    {
        await dead.DisposeAsync();
        var delay = TimeSpan.FromMilliseconds(100);
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                Adopt(await EngineHostProcess.StartAsync(options, logger, _stopping.Token, dead.Background));
                logger.LogInformation("Started a replacement engine host");
                return;
            }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Could not start a replacement engine host; trying again in {Delay}", delay);
                try { await Task.Delay(delay, _stopping.Token); } catch (OperationCanceledException) { return; }
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(10).Ticks));
            }
        }
    }

    public IReadOnlyDictionary<string, string> Describe() => new Dictionary<string, string>
    {
        ["espeak.version"] = _version,
        ["espeak.hosts"] = $"{_hosts.Values.Count(h => !h.Background)}/{options.Hosts}",
        ["espeak.backgroundHosts"] = $"{_hosts.Values.Count(h => h.Background)}/{options.BackgroundHosts} (below-normal priority, job sentences only)",
        ["espeak.hostRestarts"] = Restarts.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["espeak.voices"] = Voices.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        await _stopping.CancelAsync();
        _idle.Writer.TryComplete();
        await Task.WhenAll(_hosts.Values.Select(h => h.DisposeAsync().AsTask()));
        _hosts.Clear();
        _stopping.Dispose();
    }
}

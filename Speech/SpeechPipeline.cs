using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Admission;
using Orleans.Tts.Audio.Codecs;
using Orleans.Tts.Caching;
using Orleans.Tts.Cluster;
using Orleans.Tts.Speakers;
using Orleans.Tts.Speech.Ssml;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Speech;

/// <summary>Who asks, as this process knows it (never sent over the wire).</summary>
/// <param name="ClientId">Who the request counts against for the per-client share.</param>
/// <param name="ArrivedAt">When the request arrived (a <see cref="Stopwatch"/> timestamp): the admission deadline runs from then.</param>
/// <param name="NotModified">For a whole file: true when the caller already holds the file of this ETag (a quoted cache key); it is then not sent again.</param>
public sealed record SpeechCaller(string ClientId, long ArrivedAt, Func<string, bool>? NotModified = null)
{
    /// <summary>The longest <see cref="SpeechCommand.Caller"/>: a name, not a payload.</summary>
    public const int MaxCallerChars = 64;

    /// <summary>A caller through Orleans: its share is named <c>orleans:&lt;Caller&gt;</c>, apart from API keys and addresses.</summary>
    public static SpeechCaller Orleans(SpeechCommand command) =>
        command.Caller is { Length: > MaxCallerChars }
            ? throw SpeechValidation.Invalid("Bad caller", $"'caller' names the calling service for its share of the cluster: at most {MaxCallerChars} characters; got {command.Caller.Length}.")
            : new($"orleans:{command.Caller}", Stopwatch.GetTimestamp());
}

/// <summary>A whole file, or (<see cref="Audio"/> null) the answer that the caller's copy of <see cref="ETag"/> is current.</summary>
/// <param name="Timings">Where the time went (for <c>Server-Timing</c>); null when not modified.</param>
public sealed record SpeechResult(SpeechAudio? Audio, string ETag, SpeechTimings? Timings);

/// <summary>
/// A synthesis from request to encoded bytes, whoever asks: validation, voice resolution, SSML, the result cache, admission,
/// synthesis (planned and spread over the silos by <see cref="ISynthesisWorker"/>) and encoding. The speech grain and the REST
/// API both run it, so both get the same limits, cache and bytes; the REST API only maps HTTP to it and back.
/// Errors a caller can act on are thrown typed: <see cref="SpeechRequestInvalidException"/> and <see cref="SpeechBusyException"/>.
/// </summary>
public sealed class SpeechPipeline(ISynthesisWorker worker, VoiceResolver voices, IAdmission admission, IResultCache cache, ISpeakerDirectory speakers,
    ISiloActivity activity, SpeechOptions options, TtsMetrics metrics, ILogger<SpeechPipeline> logger)
{
    /// <summary>Bytes per chunk of a stream served from the cache: even, so raw samples stay whole.</summary>
    public const int CachedChunkBytes = 16 * 1024;

    private const string TooLongAdvice = "Split the text, or submit long text as an async job: POST /v1/jobs.";

    /// <summary>A validated request: what to synthesise, how it is admitted, and where its result is cached.</summary>
    /// <remarks><c>Synthesis.Words</c>: word timings asked for; the result is cached under its own key with its words.</remarks>
    /// <param name="Input">The input as the client sent it (word spans index it; <c>Synthesis.Text</c> is it cleaned).</param>
    private sealed record Prepared(SynthesisRequest Synthesis, AdmissionRequest Admission, string Format, int InputChars, string CacheKey, string Input);

    /// <summary>The whole encoded file (each sentence encoded as it arrives), from the cache when it is there.</summary>
    public async Task<SpeechResult> SynthesizeAsync(SpeechCommand command, SpeechCaller caller, CancellationToken ct)
    {
        using var inFlight = Begin();
        var prepared = await PrepareAsync(command, caller, streamed: false, ct);
        var key = prepared.CacheKey;
        var etag = $"\"{key}\"";
        if (caller.NotModified?.Invoke(etag) == true && await cache.TryGetAsync(key, ct) is not null) return new SpeechResult(null, etag, null);

        var timings = new SpeechTimings(caller.ArrivedAt);
        var voiceId = prepared.Synthesis.VoiceId;
        if (admission.RefuseEarly(prepared.Admission) is { } refused)
        {
            // Overloaded: a result already cached is still served (it needs no permit); anything else is refused now, before
            // the shared cache's claim and the permit attempts cost round trips that the admitted requests need.
            if (await cache.TryGetAsync(key, ct) is not { } cached) throw new SpeechBusyException(refused.Message, refused.RetryAfter);
            return new SpeechResult(Audio(new CacheOutcome(cached, Hit: true, null), prepared.Synthesis.Words), etag, timings);
        }
        CacheOutcome outcome;
        try
        {
            outcome = await cache.GetOrCreateAsync(key, async fct =>
            {
                timings.Producing();
                ProducedAudio produced;
                await using (var permit = await admission.AcquireAsync(prepared.Admission, fct))
                {
                    timings.Admitted();
                    var (content, seconds, words) = await EncodeWholeAsync(ForPermit(prepared.Synthesis, permit), prepared.Format, prepared.Input, fct);
                    timings.Synthesized();
                    // A timed result keeps its words beside the file, under its own key (SpeechWords.CacheFormat).
                    var audio = new CachedAudio(key, words is null ? content : SpeechWords.Pack(words, content), OutputFormats.ContentType(prepared.Format), permit.VoiceId, seconds);
                    produced = new ProducedAudio(audio, Cacheable: permit.Degradation is null, permit.Degradation);
                }
                timings.Released();
                return produced;
            }, ct);
        }
        catch (EngineUnavailableException e)
        {
            logger.LogWarning(e, "Synthesis failed twice on restarted engine hosts");
            throw EngineFailed(e);
        }
        catch (Exception e) when (Typed(e) is { } typed)
        {
            throw typed;
        }
        return new SpeechResult(Audio(outcome, prepared.Synthesis.Words), etag, timings);
    }

    /// <summary>
    /// The encoded file sentence by sentence: the first chunk comes as soon as the first sentence is synthesised. Anything that
    /// fails before the first chunk is thrown typed from the first <c>MoveNextAsync</c>. A result already cached is sent from the
    /// cache without a permit (its stream form, in chunks of <see cref="CachedChunkBytes"/>); a stream whose every chunk was taken
    /// stores its whole file in the cache when the caller asks past the last chunk; a cancelled, failed or degraded one does not.
    /// Disposing the enumerator (a caller that left) stops the remaining sentences and frees the permit.
    /// </summary>
    public async IAsyncEnumerable<SpeechChunk> StreamAsync(SpeechCommand command, SpeechCaller caller, [EnumeratorCancellation] CancellationToken ct)
    {
        using var inFlight = Begin();
        var prepared = await PrepareAsync(command, caller, streamed: true, ct);
        var cached = await cache.TryGetAsync(prepared.CacheKey, ct);
        metrics.CacheLookup(hit: cached is not null);
        if (cached is not null)
        {
            // A timed entry's words all go with the first chunk: the cache keeps no sentence boundaries.
            var (words, content) = prepared.Synthesis.Words ? SpeechWords.Unpack(cached.Content) : (null, cached.Content);
            var bytes = AudioEncoders.Streamed(prepared.Format, content);
            var start = new SpeechStreamStart(cached.ContentType, cached.VoiceId, CacheHit: true, null, cached.AudioSeconds);
            for (var at = 0; at < bytes.Length; at += CachedChunkBytes)
            {
                var end = Math.Min(bytes.Length, at + CachedChunkBytes);
                yield return new SpeechChunk(bytes[at..end], at == 0 ? start : null,
                    end == bytes.Length ? new SpeechStreamEnd(cached.AudioSeconds, prepared.InputChars) : null, at == 0 ? words : null);
            }
            yield break;
        }

        AdmissionPermit permit;
        try
        {
            permit = await admission.AcquireAsync(prepared.Admission, ct);
        }
        catch (Exception e) when (Typed(e) is { } typed)
        {
            throw typed;
        }
        await using (permit)
        {
            await using var clips = worker.StreamAsync(ForPermit(prepared.Synthesis, permit), ct).GetAsyncEnumerator(ct);
            bool more;
            try
            {
                more = await clips.MoveNextAsync();
            }
            catch (EngineUnavailableException e)
            {
                throw EngineFailed(e);
            }
            catch (Exception e) when (Typed(e) is { } typed)
            {
                throw typed;
            }

            // Degraded audio (a fallback voice) is never cached, so it need not be kept either.
            var cacheable = permit.Degradation is null && more;
            using var file = new WholeFileEncoder(prepared.Format, keepWhole: cacheable);
            SpeechStreamStart? first = new(file.ContentType, permit.VoiceId, CacheHit: false, permit.Degradation, null);
            var sampleRate = 0;
            var timed = prepared.Synthesis.Words;
            List<SpokenWord>? allWords = timed ? [] : null;
            long samples = 0;
            while (more)
            {
                var clip = clips.Current;
                sampleRate = clip.SampleRate;
                file.Add(clip);
                var bytes = file.TakeNew();
                // A sentence's words go with its chunk, timed from the start of the whole audio.
                var words = timed ? SpeechWords.Of(clip, samples, prepared.Synthesis.Text, prepared.Input) : null;
                samples += clip.Samples.Length;
                if (words is { Count: > 0 }) allWords!.AddRange(words);
                // The first chunk waits for the first sound: a stream with none is refused like a whole file, before any byte.
                if (samples > 0 && (bytes.Length > 0 || first is not null || words is { Count: > 0 }))
                {
                    yield return new SpeechChunk(bytes, first, null, words is { Count: > 0 } ? words : null);
                    first = null;
                }
                more = await NextAsync(clips, file);
            }
            if (samples == 0) throw NothingSpoken(permit.VoiceId);
            file.Complete(sampleRate == 0 ? OutputSampleRate(prepared.Format) : sampleRate);
            yield return new SpeechChunk(file.TakeNew(), first, new SpeechStreamEnd(file.Seconds, prepared.InputChars));
            // Only reached when the caller asked past the last chunk, i.e. took every byte: the whole file (header patches
            // applied) answers later identical requests, streamed or not.
            if (cacheable)
            {
                var whole = file.Finish(sampleRate);
                await StoreAsync(new CachedAudio(prepared.CacheKey, allWords is null ? whole : SpeechWords.Pack(allWords, whole), file.ContentType, permit.VoiceId, file.Seconds));
            }
        }
    }

    /// <summary>Every voice, with its fallback filled in.</summary>
    public async Task<IReadOnlyList<Voices.VoiceInfo>> GetVoicesAsync(CancellationToken ct) => await voices.ListWithFallbacksAsync(ct);

    private IDisposable Begin() => activity.TryBegin()
        ?? throw new SpeechBusyException("This silo is draining before shutdown and accepts no new synthesis; retry and another silo will serve it.", TimeSpan.FromSeconds(1), "Silo draining");

    /// <summary>Validation, voice resolution and SSML, in the order the REST API has always checked them.</summary>
    private async Task<Prepared> PrepareAsync(SpeechCommand command, SpeechCaller caller, bool streamed, CancellationToken ct)
    {
        var length = SpeechValidation.Input(command.Input, options.MaxInputChars, TooLongAdvice);
        // Noncharacters such as U+FFFE (valid UTF-8, refused by Unicode normalisation) become U+FFFD.
        var input = SpeakableText.Clean(command.Input!);
        var format = SpeechValidation.Format(command.ResponseFormat);
        if (streamed && !StreamingEncoders.Supported.Contains(format))
            throw SpeechValidation.Invalid("Format cannot be streamed",
                $"response_format '{format}' cannot be streamed yet; streaming supports {string.Join(", ", StreamingEncoders.Supported)}. Leave out stream_format to get the whole file.",
                new Dictionary<string, object?> { ["supported"] = StreamingEncoders.Supported });
        SpeechValidation.Prosody(command.Speed, command.Pitch, command.Model);
        var words = SpeechWords.Wanted(command.Timestamps);
        var maxWait = MaxWait(command.MaxWaitMs);

        // speaker:<id> → the speaker's base voice and parameters; its version is part of the cache key.
        var (voiceId, speaker, speed, pitch, volume) = await SpeechValidation.VoiceAsync(speakers, voices, command.Voice, command.Speed ?? 1.0, command.Pitch ?? 0.0, ct);
        var keyVoice = speaker is null ? voiceId : $"speaker:{speaker.Id}@{speaker.Version}";
        var speakerRef = speaker is null ? null : new SpeakerRef(speaker.Id, speaker.Version);

        // input starting with <speak> is SSML: parsed into segments here, so malformed markup is refused and never spoken.
        var segments = SsmlParser.LooksLikeSsml(input) ? await SsmlRequest.PrepareAsync(input, voiceId, worker, voices, ct, words) : null;

        // The same key for a stream and a whole file of the same format: the cache holds the whole file, and a stream is
        // served from it (its stream form) or, once it completed, stored in it.
        var key = ResultCacheKey.Compute(input, keyVoice, speed, pitch, words ? SpeechWords.CacheFormat(format, input) : format, await voices.ModelVersionAsync(ct));
        // The admission deadline covers the wait and the first sentence: the audio starts after it, however long the text.
        var firstSentence = AdmissionRequest.FirstSentenceLengthOf(input, options.MaxSentenceChars);
        var fallback = await voices.FallbackForAsync(voiceId, ct);
        return new Prepared(new SynthesisRequest(input, voiceId, speed, pitch, volume, speakerRef, segments, words),
            new AdmissionRequest(caller.ClientId, voiceId, length, maxWait, fallback, caller.ArrivedAt, firstSentence), format, length, key, command.Input!);
    }

    private const double MaxWaitCapMs = 86_400_000;

    /// <summary>The per-request queue deadline in milliseconds (clamped to the server's maximum by the admission); null: its default.</summary>
    private static TimeSpan MaxWait(double? ms)
    {
        if (ms is null) return TimeSpan.Zero;
        if (!double.IsFinite(ms.Value) || ms < 0)
            throw SpeechValidation.Invalid("Bad max wait", $"max_wait_ms must be a number of milliseconds ≥ 0; got {ms}.");
        // Anything beyond a day is "as long as the server allows" (the admission clamps it); TimeSpan itself ends near 29,000 years.
        return ms.Value == 0 ? TimeSpan.FromTicks(1) : TimeSpan.FromMilliseconds(Math.Min(ms.Value, MaxWaitCapMs));
    }

    /// <summary>The synthesis with the permit's voice: a fallback voice speaks without the speaker's style (its embedding is for the base voice's engine).</summary>
    private static SynthesisRequest ForPermit(SynthesisRequest request, AdmissionPermit permit) => request with
    {
        VoiceId = permit.VoiceId,
        Speaker = permit.VoiceId.Equals(request.VoiceId, StringComparison.OrdinalIgnoreCase) ? request.Speaker : null,
    };

    /// <summary>
    /// The whole file, each sentence encoded as it arrives (encoding overlaps the synthesis of the later sentences instead of
    /// following it): the same bytes as encoding the joined audio at the end. A text without sentences is the voice's empty file.
    /// </summary>
    /// <remarks>Words (null unless the request asked for them) are timed from the start of the whole audio.</remarks>
    private async Task<(byte[] Content, double Seconds, List<SpokenWord>? Words)> EncodeWholeAsync(SynthesisRequest request, string format, string input, CancellationToken ct)
    {
        using var file = new WholeFileEncoder(format);
        var any = false;
        List<SpokenWord>? words = request.Words ? [] : null;
        long samples = 0;
        await foreach (var clip in worker.StreamAsync(request, ct))
        {
            file.Add(clip);
            if (words is not null) words.AddRange(SpeechWords.Of(clip, samples, request.Text, input));
            samples += clip.Samples.Length;
            any = true;
        }
        if (!any)
        {
            var whole = await worker.SynthesizeAsync(request, ct);
            if (whole.Samples.Length == 0) throw NothingSpoken(request.VoiceId);
            return (OutputFormats.Encode(whole, format), 0, words);
        }
        if (samples == 0) throw NothingSpoken(request.VoiceId);
        return (file.Finish(0), file.Seconds, words);
    }

    /// <summary>Text with letters or digits, none of which the voice reads (a script it does not speak, marks): never an empty 200.</summary>
    private static SpeechRequestInvalidException NothingSpoken(string voiceId) => SpeechValidation.Invalid("Nothing to speak",
        $"The voice '{voiceId}' made no sound from this input: nothing in it is in a language or script that voice reads. GET /v1/voices lists the voices and their languages.");

    private static SpeechAudio Audio(CacheOutcome outcome, bool timed)
    {
        var (words, content) = timed ? SpeechWords.Unpack(outcome.Audio.Content) : (null, outcome.Audio.Content);
        return new(content, outcome.Audio.ContentType, outcome.Audio.VoiceId, outcome.Audio.AudioSeconds, outcome.Hit, outcome.Degradation, outcome.Audio.Key, words);
    }

    /// <summary>The next clip of a stream that already began; a failure is logged here, where the audio sent so far is known.</summary>
    private async ValueTask<bool> NextAsync(IAsyncEnumerator<AudioClip> clips, WholeFileEncoder file)
    {
        try
        {
            return await clips.MoveNextAsync();
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning(e, "A speech stream failed after {Seconds:0.0} s of audio", file.Seconds);
            // Typed, so that it crosses to an Orleans client (the engine's own exception has no codec there).
            if (e is EngineUnavailableException engine) throw EngineFailed(engine);
            throw;
        }
    }

    private static SpeechBusyException EngineFailed(EngineUnavailableException e) =>
        new($"The synthesis could not complete for a transient reason ({e.Message.TrimEnd('.')}); retry.", TimeSpan.FromSeconds(1));

    /// <summary>A stream that was sent whole is not spoilt by a cache that cannot take its result: that is logged, and the stream ends normally.</summary>
    private async Task StoreAsync(CachedAudio audio)
    {
        try
        {
            await cache.StoreAsync(audio, CancellationToken.None);
        }
        catch (Exception e)
        {
            logger.LogWarning(e, "A completed stream's audio could not be cached");
        }
    }

    private static int OutputSampleRate(string format) => format == "pcm" ? AudioEncoders.PcmSampleRate : 22050;

    /// <summary>The typed error of a capacity or voice failure, or null when it is neither the caller's nor a capacity matter.</summary>
    private static Exception? Typed(Exception e) => e switch
    {
        SpeechBusyException or SpeechRequestInvalidException => null,
        WorkerPoolSaturatedException s => new SpeechBusyException($"{s.Message} {s.Queued} requests are waiting.", s.RetryAfter),
        AdmissionRejectedException a => new SpeechBusyException(a.Message, a.RetryAfter),
        UnknownVoiceException u => SpeechValidation.Invalid("Unknown voice", u.Message),
        StorageUnavailableException u => new SpeechBusyException($"The speaker's style is not cached on this silo and {u.Message}", u.RetryAfter, "Speakers unavailable"),
        _ => null,
    };
}

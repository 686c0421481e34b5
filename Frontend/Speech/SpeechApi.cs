using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Admission;
using Orleans.Tts.Caching;
using Orleans.Tts.Cluster;
using Orleans.Tts.Frontend.Metrics;
using Orleans.Tts.Frontend.Problems;
using Orleans.Tts.Frontend.Speakers;
using Orleans.Tts.Frontend.Speech.Ssml;
using Orleans.Tts.Frontend.Streaming;
using Orleans.Tts.Speakers;
using Orleans.Tts.Frontend.Voices;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Frontend.Speech;

public static class SpeechApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { MaxDepth = 16 };

    public static IEndpointRouteBuilder MapSpeechEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/audio/speech", SynthesizeAsync)
            .WithName("CreateSpeech")
            .WithSummary("Synthesise speech from text (OpenAI-compatible).")
            .AddOpenApiOperationTransformer(async (operation, context, ct) =>
            {
                // The body is read by hand (to answer every malformed body with a clear problem), so describe it here.
                var schema = await context.GetOrCreateSchemaAsync(typeof(SpeechRequest), null, ct);
                operation.RequestBody = new Microsoft.OpenApi.OpenApiRequestBody
                {
                    Required = true,
                    Content = new Dictionary<string, Microsoft.OpenApi.OpenApiMediaType> { ["application/json"] = new() { Schema = schema } },
                };
            })
            .Produces(StatusCodes.Status200OK, contentType: "audio/mpeg")
            .Produces(StatusCodes.Status200OK, contentType: "audio/opus")
            .Produces(StatusCodes.Status200OK, contentType: "audio/flac")
            .Produces(StatusCodes.Status200OK, contentType: "audio/wav")
            .Produces(StatusCodes.Status200OK, contentType: "audio/pcm")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    /// <summary>
    /// The whole file, each sentence encoded as it arrives (encoding overlaps the synthesis of the later sentences instead of
    /// following it): the same bytes as encoding the joined audio at the end. A text without sentences is the voice's empty file.
    /// </summary>
    private static async Task<(byte[] Content, double Seconds)> EncodeWholeAsync(ISynthesisWorker worker, SynthesisRequest request, string format, CancellationToken ct)
    {
        using var file = new Orleans.Tts.Audio.Codecs.WholeFileEncoder(format);
        var any = false;
        await foreach (var clip in worker.StreamAsync(request, ct))
        {
            file.Add(clip);
            any = true;
        }
        if (!any) return (OutputFormats.Encode(await worker.SynthesizeAsync(request, ct), format), 0);
        return (file.Finish(0), file.Seconds);
    }

    private static async Task<IResult> SynthesizeAsync(HttpContext http, ISynthesisWorker worker, VoiceResolver voices, IAdmission admission,
        IResultCache cache, ISpeakerDirectory speakers, ISiloActivity activity, FrontendOptions options, ILoggerFactory loggers, SpeechStreamer streamer, CancellationToken ct)
    {
        // The admission deadline runs from the request's arrival: what came before, reading, validation and cache lookups count against it.
        var arrived = RequestArrival.Of(http);
        using var inFlight = activity.TryBegin();
        if (inFlight is null)
            return Problem.Busy(http, "This silo is draining before shutdown and accepts no new synthesis; retry and another silo will serve it.", TimeSpan.FromSeconds(1), "Silo draining");

        var parsed = await ReadRequestAsync(http, options.MaxRequestBodyBytes, ct);
        if (parsed.Problem is not null) return parsed.Problem;
        var body = parsed.Request!;

        if (SpeechValidation.Input(body.Input, options.MaxInputChars, "Split the text, or submit long text as an async job: POST /v1/jobs.", out var length) is { } badInput) return badInput;
        // Noncharacters such as U+FFFE (valid UTF-8, refused by Unicode normalisation) become U+FFFD.
        var input = SpeakableText.Clean(body.Input!);
        if (SpeechValidation.Format(body.ResponseFormat, out var format) is { } badFormat) return badFormat;
        var streamFormat = body.StreamFormat?.Trim().ToLowerInvariant();
        if (streamFormat is not null && !SpeechStreamer.StreamFormats.Contains(streamFormat))
            return Problem.BadRequest("Unsupported stream_format",
                $"stream_format '{Problem.Echo(body.StreamFormat)}' is not supported. Use 'audio' (the audio file, sent as each sentence is ready), 'sse' (OpenAI speech.audio.delta events) or leave it out (the whole file at once).",
                new Dictionary<string, object?> { ["supported"] = SpeechStreamer.StreamFormats });
        if (streamFormat is not null && !StreamingEncoders.Supported.Contains(format))
            return Problem.BadRequest("Format cannot be streamed",
                $"response_format '{format}' cannot be streamed yet; streaming supports {string.Join(", ", StreamingEncoders.Supported)}. Leave out stream_format to get the whole file.",
                new Dictionary<string, object?> { ["supported"] = StreamingEncoders.Supported });

        if (SpeechValidation.Prosody(body.Speed, body.Pitch, body.Model) is { } badProsody) return badProsody;
        var maxWait = MaxWait(http, body);
        if (maxWait.Problem is not null) return maxWait.Problem;

        // speaker:<id> → the speaker's base voice and parameters; its version is part of the cache key.
        var (resolved, voiceProblem) = await SpeechValidation.VoiceAsync(http, speakers, voices, body.Voice, body.Speed ?? 1.0, body.Pitch ?? 0.0, ct);
        if (resolved is null) return voiceProblem!;
        var (voiceId, speaker, speed, pitch, volume) = resolved;
        var keyVoice = speaker is null ? voiceId : $"speaker:{speaker.Id}@{speaker.Version}";

        var speakerRef = speaker is null ? null : new SpeakerRef(speaker.Id, speaker.Version);

        // input starting with <speak> is SSML: parsed into segments here, so malformed markup is a 400 and never spoken.
        IReadOnlyList<SpeechSegment>? segments = null;
        if (SsmlParser.LooksLikeSsml(input))
        {
            var ssml = await SsmlRequest.PrepareAsync(input, voiceId, worker, voices, ct);
            if (ssml.Problem is not null) return ssml.Problem;
            segments = ssml.Segments;
        }

        // The same key for a stream and a whole file of the same format: the cache holds the whole file, and a stream is
        // served from it (its stream form) or, once it completed, stored in it.
        var key = ResultCacheKey.Compute(input, keyVoice, speed, pitch, format, await voices.ModelVersionAsync(ct));
        // The admission deadline covers the wait and the first sentence: the audio starts after it, however long the text.
        var firstSentence = AdmissionRequest.FirstSentenceLengthOf(input, options.MaxSentenceChars);
        if (streamFormat is not null)
        {
            var synthesis = new SynthesisRequest(input, voiceId, speed, pitch, volume, speakerRef, segments);
            var streamAdmission = new AdmissionRequest(ClientId(http), voiceId, length, maxWait.Wait, await voices.FallbackForAsync(voiceId, ct), arrived, firstSentence);
            return await streamer.StreamAsync(http, new SpeechStream(synthesis, streamAdmission, format, streamFormat, length, key), ct);
        }

        var etag = $"\"{key}\"";
        if (http.Request.Headers.IfNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == etag || t.Trim() == "*"))
            && await cache.TryGetAsync(key, ct) is not null)
        {
            http.Response.Headers.ETag = etag;
            http.Response.Headers["X-Tts-Cache"] = "hit";
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        var timings = new SpeechTimings(arrived);
        var clientId = ClientId(http);
        var fallback = await voices.FallbackForAsync(voiceId, ct);
        var admissionRequest = new AdmissionRequest(clientId, voiceId, length, maxWait.Wait, fallback, arrived, firstSentence);
        if (admission.RefuseEarly(admissionRequest) is { } refused)
        {
            // Overloaded: a result already cached is still served (it needs no permit); anything else is refused now, before
            // the shared cache's claim and the permit attempts cost PostgreSQL round trips that the admitted requests need.
            if (await cache.TryGetAsync(key, ct) is not { } cached) return Problem.Busy(http, refused.Message, refused.RetryAfter);
            return AudioResponse(http, new CacheOutcome(cached, Hit: true, null), etag, timings);
        }
        CacheOutcome outcome;
        try
        {
            outcome = await cache.GetOrCreateAsync(key, async fct =>
            {
                timings.Producing();
                ProducedAudio produced;
                await using (var permit = await admission.AcquireAsync(admissionRequest, fct))
                {
                    timings.Admitted();
                    // A fallback voice speaks without the speaker's style (its embedding is for the base voice's engine).
                    var speakerFor = permit.VoiceId.Equals(voiceId, StringComparison.OrdinalIgnoreCase) ? speakerRef : null;
                    var (content, seconds) = await EncodeWholeAsync(worker, new SynthesisRequest(input, permit.VoiceId, speed, pitch, volume, speakerFor, segments), format, fct);
                    timings.Synthesized();
                    var audio = new CachedAudio(key, content, OutputFormats.ContentType(format), permit.VoiceId, seconds);
                    produced = new ProducedAudio(audio, Cacheable: permit.Degradation is null, permit.Degradation);
                }
                timings.Released();
                return produced;
            }, ct);
        }
        catch (AdmissionRejectedException e)
        {
            return Problem.Busy(http, e.Message, e.RetryAfter);
        }
        catch (WorkerPoolSaturatedException e)
        {
            return Problem.Busy(http, $"{e.Message} {e.Queued} requests are waiting.", e.RetryAfter);
        }
        catch (UnknownVoiceException e)
        {
            return Problem.BadRequest("Unknown voice", e.Message);
        }
        catch (StorageUnavailableException e)
        {
            return Problem.Busy(http, $"The speaker's style is not cached on this silo and {e.Message}", e.RetryAfter, "Speakers unavailable");
        }
        catch (EngineUnavailableException e)
        {
            loggers.CreateLogger(typeof(SpeechApi)).LogWarning(e, "Synthesis failed twice on restarted engine hosts");
            return Problem.Busy(http, $"The synthesis could not complete for a transient reason ({e.Message.TrimEnd('.')}); retry.", TimeSpan.FromSeconds(1));
        }

        return AudioResponse(http, outcome, etag, timings);
    }

    private static IResult AudioResponse(HttpContext http, CacheOutcome outcome, string etag, SpeechTimings timings)
    {
        var end = Stopwatch.GetTimestamp();
        var result = outcome.Audio;
        http.Response.Headers["X-Tts-Voice"] = result.VoiceId;
        http.Response.Headers["X-Tts-Cache"] = outcome.Hit ? "hit" : "miss";
        if (outcome.Degradation is not null) http.Response.Headers["X-Tts-Degraded"] = outcome.Degradation;
        else http.Response.Headers.ETag = etag;
        http.Response.Headers["X-Tts-Audio-Seconds"] = result.AudioSeconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers["X-Tts-Synthesis-Ms"] = timings.SinceStarted(end).TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers["Server-Timing"] = timings.Header(end);
        return Results.Bytes(result.Content, result.ContentType);
    }

    /// <summary>Who a request counts against for the per-client share: a valid API key's name, else the remote address (Auth/).</summary>
    public static string ClientId(HttpContext http) => Auth.ApiKeyAuthentication.ClientId(http);

    public const string MaxWaitHeader = "X-Tts-Max-Wait-Ms";
    private const double MaxWaitCapMs = 86_400_000;

    private sealed record QueueWait(TimeSpan Wait, IResult? Problem);

    /// <summary>The per-request queue deadline: header X-Tts-Max-Wait-Ms or body max_wait_ms (clamped to the server's maximum).</summary>
    private static QueueWait MaxWait(HttpContext http, SpeechRequest body)
    {
        double? ms = body.MaxWaitMs;
        if (http.Request.Headers[MaxWaitHeader].FirstOrDefault() is { } raw)
        {
            if (!double.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var parsed))
                return new(TimeSpan.Zero, Problem.BadRequest("Bad max wait", $"{MaxWaitHeader} must be a number of milliseconds; got '{raw}'."));
            ms = parsed;
        }
        if (ms is null) return new(TimeSpan.Zero, null);
        if (!double.IsFinite(ms.Value) || ms < 0)
            return new(TimeSpan.Zero, Problem.BadRequest("Bad max wait", $"max_wait_ms must be a number of milliseconds ≥ 0; got {ms}."));
        // Anything beyond a day is "as long as the server allows" (the admission clamps it); TimeSpan itself ends near 29,000 years.
        return new(ms.Value == 0 ? TimeSpan.FromTicks(1) : TimeSpan.FromMilliseconds(Math.Min(ms.Value, MaxWaitCapMs)), null);
    }

    internal sealed record Parsed(SpeechRequest? Request, IResult? Problem);

    /// <summary>The JSON body (at most <paramref name="limit"/> bytes), or the problem with it.</summary>
    internal static async Task<Parsed> ReadRequestAsync(HttpContext http, long limit, CancellationToken ct)
    {
        var contentType = http.Request.ContentType;
        if (contentType is null || !contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase))
            return new(null, Problem.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"Send the request as JSON with 'Content-Type: application/json' (got '{contentType ?? "none"}')."));

        if (http.Request.ContentLength > limit) return new(null, TooLarge(limit));
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature) sizeFeature.MaxRequestBodySize = limit;

        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            var chunk = new byte[16 * 1024];
            int n;
            while ((n = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
            {
                if (buffer.Length + n > limit) return new(null, TooLarge(limit));
                buffer.Write(chunk, 0, n);
            }
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return new(null, TooLarge(limit));
        }

        if (body.Length == 0) return new(null, Problem.BadRequest("Empty body", "The request body is empty; send a JSON object such as {\"input\":\"Hello\",\"voice\":\"alloy\"}."));
        try
        {
            var request = JsonSerializer.Deserialize<SpeechRequest>(body, Json);
            return request is null
                ? new(null, Problem.BadRequest("Malformed JSON", "The body must be a JSON object, not null."))
                : new(request, null);
        }
        catch (JsonException e)
        {
            var where = e.Path is { Length: > 1 } path ? $" at '{path.TrimStart('$', '.')}'" : "";
            var what = e.InnerException is InvalidOperationException { Message: var inner } && inner.Contains("UTF-16", StringComparison.Ordinal)
                ? $"The string{where} holds an escaped lone surrogate (such as \\ud800), which is not text: escape a character outside the BMP as a pair (\\ud83d\\ude00) or send it as UTF-8."
                : e.Path is { Length: > 1 } && e.InnerException is InvalidOperationException or FormatException || e.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? $"A field has the wrong type{where}: input, voice, model, response_format and stream_format are strings; speed and pitch are numbers."
                : $"The body is not valid JSON{where} (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).";
            return new(null, Problem.BadRequest("Malformed JSON", what));
        }
    }

    private static IResult TooLarge(long limit) =>
        Problem.Of(StatusCodes.Status413PayloadTooLarge, "Request body too large",
            $"The request body is larger than {limit} bytes, the most this endpoint accepts.",
            new Dictionary<string, object?> { ["maxBodyBytes"] = limit });
}

using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Orleans.Tts.Frontend.Metrics;
using Orleans.Tts.Frontend.Problems;
using Orleans.Tts.Frontend.Streaming;
using Orleans.Tts.Speech;

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
            .Produces(StatusCodes.Status200OK, contentType: "application/json")
            .Produces(StatusCodes.Status304NotModified)
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    /// <summary>
    /// HTTP around the speech pipeline: the body and headers become a <see cref="SpeechCommand"/>; the pipeline's result becomes
    /// the audio with its headers (ETag/304, X-Tts-*, Server-Timing) or a stream; its typed errors become problems.
    /// </summary>
    private static async Task<IResult> SynthesizeAsync(HttpContext http, SpeechPipeline speech, FrontendOptions options, SpeechStreamer streamer, CancellationToken ct)
    {
        // The admission deadline runs from the request's arrival: what came before, reading, validation and cache lookups count against it.
        var arrived = RequestArrival.Of(http);
        var parsed = await ReadRequestAsync(http, options.MaxRequestBodyBytes, ct);
        if (parsed.Problem is not null) return parsed.Problem;
        var body = parsed.Request!;

        var streamFormat = body.StreamFormat?.Trim().ToLowerInvariant();
        if (streamFormat is not null && !SpeechStreamer.StreamFormats.Contains(streamFormat))
            return Problem.BadRequest("Unsupported stream_format",
                $"stream_format '{SpeechValidation.Echo(body.StreamFormat)}' is not supported. Use 'audio' (the audio file, sent as each sentence is ready), 'sse' (OpenAI speech.audio.delta events) or leave it out (the whole file at once).",
                new Dictionary<string, object?> { ["supported"] = SpeechStreamer.StreamFormats });
        var maxWait = body.MaxWaitMs;
        if (http.Request.Headers[MaxWaitHeader].FirstOrDefault() is { } raw)
        {
            if (!double.TryParse(raw, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var header))
                return Problem.BadRequest("Bad max wait", $"{MaxWaitHeader} must be a number of milliseconds; got '{raw}'.");
            maxWait = header;
        }

        var command = new SpeechCommand(body.Input, body.Voice, body.ResponseFormat, body.Speed, body.Pitch, body.Model, maxWait, Timestamps: body.Timestamps);
        bool timed;
        try
        {
            timed = SpeechWords.Wanted(body.Timestamps);
        }
        catch (Exception e) when (Problem.For(http, e) is { } problem)
        {
            return problem;
        }
        if (timed && streamFormat == SpeechStreamer.Audio)
            return Problem.BadRequest("Timestamps need SSE or the whole file",
                "An audio stream has nowhere to put word timings: use stream_format 'sse' (speech.audio.words events) or leave stream_format out (a JSON body with the audio and the words).",
                new Dictionary<string, object?> { ["supported"] = new[] { SpeechStreamer.Sse, "whole file" } });
        var ifNoneMatch = http.Request.Headers.IfNoneMatch;
        var caller = new SpeechCaller(ClientId(http), arrived,
            etag => ifNoneMatch.Any(v => v is not null && v.Split(',').Any(t => t.Trim() == etag || t.Trim() == "*")));
        if (streamFormat is not null) return await streamer.StreamAsync(http, speech.StreamAsync(command, caller, ct), streamFormat, ct);

        SpeechResult result;
        try
        {
            result = await speech.SynthesizeAsync(command, caller, ct);
        }
        catch (Exception e) when (Problem.For(http, e) is { } problem)
        {
            return problem;
        }
        if (result.Audio is not { } audio)
        {
            http.Response.Headers.ETag = result.ETag;
            http.Response.Headers["X-Tts-Cache"] = "hit";
            return Results.StatusCode(StatusCodes.Status304NotModified);
        }

        var end = Stopwatch.GetTimestamp();
        http.Response.Headers["X-Tts-Voice"] = audio.VoiceId;
        http.Response.Headers["X-Tts-Cache"] = audio.CacheHit ? "hit" : "miss";
        if (audio.Degradation is not null) http.Response.Headers["X-Tts-Degraded"] = audio.Degradation;
        else http.Response.Headers.ETag = result.ETag;
        http.Response.Headers["X-Tts-Audio-Seconds"] = audio.AudioSeconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers["X-Tts-Synthesis-Ms"] = result.Timings!.SinceStarted(end).TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers["Server-Timing"] = result.Timings.Header(end);
        if (timed) return Results.Json(new TimedSpeech(Convert.ToBase64String(audio.Content), audio.ContentType, audio.AudioSeconds, SpeechStreamer.Words(audio.Words ?? [])));
        return Results.Bytes(audio.Content, audio.ContentType);
    }

    /// <summary>Who a request counts against for the per-client share: a valid API key's name, else the remote address (Auth/).</summary>
    public static string ClientId(HttpContext http) => Auth.ApiKeyAuthentication.ClientId(http);

    public const string MaxWaitHeader = "X-Tts-Max-Wait-Ms";

    /// <summary>The whole-file answer with <c>timestamps: "word"</c>: the file in base64, its type, its length and its words.</summary>
    internal sealed record TimedSpeech(
        [property: System.Text.Json.Serialization.JsonPropertyName("audio")] string Audio,
        [property: System.Text.Json.Serialization.JsonPropertyName("content_type")] string ContentType,
        [property: System.Text.Json.Serialization.JsonPropertyName("audio_seconds")] double AudioSeconds,
        [property: System.Text.Json.Serialization.JsonPropertyName("words")] IReadOnlyList<SpeechStreamer.WordJson> Words);
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
            var what = e is VoiceFieldException ? e.Message
                : e.InnerException is InvalidOperationException { Message: var inner } && inner.Contains("UTF-16", StringComparison.Ordinal)
                ? $"The string{where} holds an escaped lone surrogate (such as \\ud800), which is not text: escape a character outside the BMP as a pair (\\ud83d\\ude00) or send it as UTF-8."
                : e.Path is { Length: > 1 } && e.InnerException is InvalidOperationException or FormatException || e.Message.Contains("could not be converted", StringComparison.Ordinal)
                ? $"A field has the wrong type{where}: input, model, response_format, stream_format and instructions are strings; voice is a string or an object with a string id; speed and pitch are numbers."
                : $"The body is not valid JSON{where} (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1}).";
            return new(null, Problem.BadRequest("Malformed JSON", what));
        }
    }

    private static IResult TooLarge(long limit) =>
        Problem.Of(StatusCodes.Status413PayloadTooLarge, "Request body too large",
            $"The request body is larger than {limit} bytes, the most this endpoint accepts.",
            new Dictionary<string, object?> { ["maxBodyBytes"] = limit });
}

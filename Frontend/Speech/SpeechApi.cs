using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Frontend.Problems;
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
            .ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType)
            .ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        return app;
    }

    private static async Task<IResult> SynthesizeAsync(HttpContext http, ISynthesisWorker worker, VoiceResolver voices,
        FrontendOptions options, ILoggerFactory loggers, CancellationToken ct)
    {
        var parsed = await ReadRequestAsync(http, options, ct);
        if (parsed.Problem is not null) return parsed.Problem;
        var body = parsed.Request!;

        var input = body.Input;
        if (input is null) return Problem.BadRequest("Missing input", "The field 'input' is required: the text to speak.");
        var length = input.EnumerateRunes().Count();
        if (length > options.MaxInputChars)
            return Problem.Of(StatusCodes.Status413PayloadTooLarge, "Input too long",
                $"'input' has {length} characters; at most {options.MaxInputChars} are allowed. Split the text, or submit long text as an async job.",
                new Dictionary<string, object?> { ["maxInputChars"] = options.MaxInputChars, ["inputChars"] = length });
        if (string.IsNullOrWhiteSpace(input)) return Problem.BadRequest("Empty input", "The field 'input' is empty: give the text to speak.");
        if (!input.EnumerateRunes().Any(Rune.IsLetterOrDigit))
            return Problem.BadRequest("Nothing to speak", "The field 'input' contains no letters or digits to speak.");

        var format = (body.ResponseFormat ?? OutputFormats.Default).Trim().ToLowerInvariant();
        if (!OutputFormats.Supported.Contains(format))
        {
            var reason = OutputFormats.Unavailable.TryGetValue(format, out var why) ? $" {why}" : "";
            return Problem.BadRequest("Unsupported response_format",
                $"response_format '{body.ResponseFormat}' is not supported.{reason} Supported: {string.Join(", ", OutputFormats.Supported)}.",
                new Dictionary<string, object?> { ["supported"] = OutputFormats.Supported });
        }
        if (body.StreamFormat is not null && body.StreamFormat != "audio")
            return Problem.BadRequest("Unsupported stream_format",
                $"stream_format '{body.StreamFormat}' is not supported by this server yet; use 'audio' or leave it out.");

        var speed = body.Speed ?? 1.0;
        if (!double.IsFinite(speed) || speed < SynthesisRequest.MinSpeed || speed > SynthesisRequest.MaxSpeed)
            return Problem.BadRequest("Bad speed", $"speed must be a number from {SynthesisRequest.MinSpeed} to {SynthesisRequest.MaxSpeed}; got {body.Speed}.");
        var pitch = body.Pitch ?? 0.0;
        if (!double.IsFinite(pitch) || pitch < SynthesisRequest.MinPitch || pitch > SynthesisRequest.MaxPitch)
            return Problem.BadRequest("Bad pitch", $"pitch is a shift in semitones from {SynthesisRequest.MinPitch} to {SynthesisRequest.MaxPitch}; got {body.Pitch}.");
        if (body.Model is { Length: > 256 }) return Problem.BadRequest("Bad model", "'model' is at most 256 characters.");

        var voice = await voices.ResolveAsync(body.Voice, ct);
        if (voice.Problem is not null) return voice.Problem;

        var started = Stopwatch.GetTimestamp();
        AudioClip clip;
        try
        {
            clip = await worker.SynthesizeAsync(new SynthesisRequest(input, voice.VoiceId!, speed, pitch), ct);
        }
        catch (WorkerPoolSaturatedException e)
        {
            return Problem.Busy(http, $"{e.Message} {e.Queued} requests are waiting.", e.RetryAfter);
        }
        catch (UnknownVoiceException e)
        {
            return Problem.BadRequest("Unknown voice", e.Message);
        }
        catch (EngineUnavailableException e)
        {
            loggers.CreateLogger(typeof(SpeechApi)).LogWarning(e, "Synthesis failed twice on restarted engine hosts");
            return Problem.Busy(http, "The synthesis engine restarted while serving this request; retry.", TimeSpan.FromSeconds(1));
        }

        http.Response.Headers["X-Tts-Voice"] = voice.VoiceId;
        http.Response.Headers["X-Tts-Audio-Seconds"] = clip.Duration.TotalSeconds.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);
        http.Response.Headers["X-Tts-Synthesis-Ms"] = Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("0", System.Globalization.CultureInfo.InvariantCulture);
        return Results.Bytes(OutputFormats.Encode(clip, format), OutputFormats.ContentType(format));
    }

    private sealed record Parsed(SpeechRequest? Request, IResult? Problem);

    private static async Task<Parsed> ReadRequestAsync(HttpContext http, FrontendOptions options, CancellationToken ct)
    {
        var contentType = http.Request.ContentType;
        if (contentType is null || !contentType.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase))
            return new(null, Problem.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                $"Send the request as JSON with 'Content-Type: application/json' (got '{contentType ?? "none"}')."));

        var limit = options.MaxRequestBodyBytes;
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
            var what = e.Path is { Length: > 1 } && e.InnerException is InvalidOperationException or FormatException || e.Message.Contains("could not be converted", StringComparison.Ordinal)
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

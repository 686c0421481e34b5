using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Orleans.Tts.Frontend.Problems;
using Orleans.Tts.Speech;

namespace Orleans.Tts.Frontend.Streaming;

/// <summary>
/// HTTP around the speech pipeline's stream (<see cref="SpeechPipeline.StreamAsync"/>): the response starts with the first chunk,
/// as soon as the first sentence is synthesised. Anything that fails before it is a problem response; after it, an SSE stream
/// ends with an <c>error</c> event and an audio stream is aborted (so a client never mistakes a truncated file for a whole one).
/// The request's abort token ends the enumeration, which stops the remaining sentences. After the last chunk went out the
/// enumeration is asked once more: that is when the pipeline stores the completed file in the cache.
/// </summary>
public sealed class SpeechStreamer
{
    public const string Audio = "audio", Sse = "sse";
    public static readonly IReadOnlyList<string> StreamFormats = [Audio, Sse];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<IResult> StreamAsync(HttpContext http, IAsyncEnumerable<SpeechChunk> chunks, string streamFormat, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await using var stream = chunks.GetAsyncEnumerator(ct);
        try
        {
            if (!await stream.MoveNextAsync()) throw new InvalidOperationException("The speech stream ended without its first chunk.");
        }
        catch (Exception e) when (Problem.For(http, e) is { } problem)
        {
            return problem;
        }

        var sse = streamFormat == Sse;
        var chunk = stream.Current;
        var start = chunk.Start ?? throw new InvalidOperationException("The speech stream's first chunk does not say what it is.");
        var response = StartResponse(http, streamFormat, start, started);
        try
        {
            while (true)
            {
                await WriteAsync(response, chunk.Audio, sse, ct);
                // Word timings (asked with timestamps: "word") follow the delta of the sentence they belong to.
                if (sse && chunk.Words is { Count: > 0 } words) await WriteEventAsync(response, new SpeechAudioWords(Words(words)), ct);
                if (sse && chunk.End is { } end) await WriteEventAsync(response, new SpeechAudioDone(new SpeechUsage(end.InputChars, (int)Math.Round(end.AudioSeconds * 1000))), ct);
                if (!await stream.MoveNextAsync()) break;
                chunk = stream.Current;
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; disposing the enumeration stops the remaining sentences. Nothing is cached.
        }
        catch (Exception e)
        {
            // The pipeline logged it with the audio sent so far.
            if (sse) await WriteEventAsync(response, new SpeechStreamError(new SpeechStreamErrorDetail($"Synthesis failed mid-stream: {e.Message} Retry the request.")), CancellationToken.None);
            else http.Abort();
        }
        return Results.Empty;
    }

    /// <summary>The JSON form of a word: its text, its span of <c>input</c> (UTF-16 code units) and its time in the audio.</summary>
    public sealed record WordJson(
        [property: System.Text.Json.Serialization.JsonPropertyName("word")] string Word,
        [property: System.Text.Json.Serialization.JsonPropertyName("start_ms")] double StartMs,
        [property: System.Text.Json.Serialization.JsonPropertyName("end_ms")] double EndMs,
        [property: System.Text.Json.Serialization.JsonPropertyName("text_start")] int TextStart,
        [property: System.Text.Json.Serialization.JsonPropertyName("text_end")] int TextEnd);

    public static IReadOnlyList<WordJson> Words(IReadOnlyList<SpokenWord> words) =>
        words.Select(w => new WordJson(w.Text, w.StartMs, w.EndMs, w.TextStart, w.TextEnd)).ToList();

    private static HttpResponse StartResponse(HttpContext http, string streamFormat, SpeechStreamStart start, long started)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = streamFormat == Sse ? "text/event-stream" : start.ContentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Tts-Voice"] = start.VoiceId;
        response.Headers["X-Tts-Stream"] = streamFormat;
        response.Headers["X-Tts-Cache"] = start.CacheHit ? "hit" : "miss";
        response.Headers["X-Tts-First-Audio-Ms"] = Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
        if (start.AudioSeconds is { } seconds) response.Headers["X-Tts-Audio-Seconds"] = seconds.ToString("0.000", CultureInfo.InvariantCulture);
        if (start.Degradation is not null) response.Headers["X-Tts-Degraded"] = start.Degradation;
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return response;
    }

    private static async Task WriteAsync(HttpResponse response, byte[] bytes, bool sse, CancellationToken ct)
    {
        if (bytes.Length == 0) return;
        if (sse) await WriteEventAsync(response, new SpeechAudioDelta(Convert.ToBase64String(bytes)), ct);
        else
        {
            await response.Body.WriteAsync(bytes, ct);
            await response.Body.FlushAsync(ct);
        }
    }

    private static async Task WriteEventAsync<T>(HttpResponse response, T payload, CancellationToken ct)
    {
        var line = $"data: {JsonSerializer.Serialize(payload, Json)}\n\n";
        await response.Body.WriteAsync(Encoding.UTF8.GetBytes(line), ct);
        await response.Body.FlushAsync(ct);
    }
}

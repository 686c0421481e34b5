using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Admission;
using Orleans.Tts.Audio.Codecs;
using Orleans.Tts.Caching;
using Orleans.Tts.Frontend.Problems;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Frontend.Streaming;

/// <summary>What the speech endpoint asks to stream, already validated.</summary>
/// <param name="Synthesis">The synthesis; its voice is replaced by the admission permit's (a fallback under saturation).</param>
/// <param name="StreamFormat"><c>audio</c> (the audio file, chunked) or <c>sse</c> (OpenAI speech events).</param>
/// <param name="CacheKey">The result-cache key of the same request without <c>stream_format</c> (the whole file is what is cached).</param>
public sealed record SpeechStream(SynthesisRequest Synthesis, AdmissionRequest Admission, string Format, string StreamFormat, int InputChars, string CacheKey);

/// <summary>
/// Streams speech sentence by sentence: the response starts as soon as the first sentence is synthesised.
/// Anything that fails before the first byte is a problem response; after it, an SSE stream ends with an
/// <c>error</c> event and an audio stream is aborted (so a client never mistakes a truncated file for a whole one).
/// The request's abort token cancels the remaining sentences.
/// A result already cached (by a whole-file request or an earlier stream) is streamed from the cache without a permit; a stream
/// that completes (every byte handed to the client) stores its whole file in the cache; a cancelled, failed or degraded one does not.
/// </summary>
public sealed class SpeechStreamer(ISynthesisWorker worker, IAdmission admission, IResultCache cache, TtsMetrics metrics, ILogger<SpeechStreamer> logger)
{
    public const string Audio = "audio", Sse = "sse";
    public static readonly IReadOnlyList<string> StreamFormats = [Audio, Sse];

    /// <summary>Bytes per write (audio) or per <c>speech.audio.delta</c> event (SSE) of a stream served from the cache: even, so raw samples stay whole.</summary>
    public const int CachedChunkBytes = 16 * 1024;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<IResult> StreamAsync(HttpContext http, SpeechStream stream, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        var cached = await cache.TryGetAsync(stream.CacheKey, ct);
        metrics.CacheLookup(hit: cached is not null);
        if (cached is not null) return await StreamCachedAsync(http, stream, cached, started, ct);

        AdmissionPermit permit;
        try
        {
            permit = await admission.AcquireAsync(stream.Admission, ct);
        }
        catch (AdmissionRejectedException e)
        {
            return Problem.Busy(http, e.Message, e.RetryAfter);
        }

        await using (permit)
        {
            var request = stream.Synthesis with
            {
                VoiceId = permit.VoiceId,
                // A fallback voice speaks without the speaker's style (its embedding is for the base voice's engine).
                Speaker = permit.VoiceId.Equals(stream.Synthesis.VoiceId, StringComparison.OrdinalIgnoreCase) ? stream.Synthesis.Speaker : null,
            };
            await using var clips = worker.StreamAsync(request, ct).GetAsyncEnumerator(ct);
            bool more;
            try
            {
                more = await clips.MoveNextAsync();
            }
            catch (Exception e) when (ProblemFor(http, e) is { } problem)
            {
                return problem;
            }

            var sse = stream.StreamFormat == Sse;
            // Degraded audio (a fallback voice) is never cached, so it need not be kept either.
            var cacheable = permit.Degradation is null && more;
            using var file = new WholeFileEncoder(stream.Format, keepWhole: cacheable);
            var response = StartResponse(http, stream, file.ContentType, permit.VoiceId, started, hit: false);
            if (permit.Degradation is not null) response.Headers["X-Tts-Degraded"] = permit.Degradation;

            var sampleRate = 0;
            try
            {
                while (more)
                {
                    var clip = clips.Current;
                    sampleRate = clip.SampleRate;
                    file.Add(clip);
                    await WriteAsync(response, file.TakeNew(), sse, ct);
                    more = await clips.MoveNextAsync();
                }
                file.Complete(sampleRate == 0 ? OutputSampleRate(stream.Format) : sampleRate);
                await WriteAsync(response, file.TakeNew(), sse, ct);
                if (sse) await WriteEventAsync(response, Done(stream, file.Seconds), ct);
                // Every byte went out: the whole file (header patches applied) answers later identical requests, streamed or
                // not. Stored before the response ends, so a client that asks again as soon as its stream ended finds it.
                if (cacheable) await StoreAsync(new CachedAudio(stream.CacheKey, file.Finish(sampleRate), file.ContentType, permit.VoiceId, file.Seconds));
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The client went away; the enumerator's disposal stops the remaining sentences. Nothing is cached.
                return Results.Empty;
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "A speech stream failed after {Seconds:0.0} s of audio", file.Seconds);
                if (sse) await WriteEventAsync(response, new SpeechStreamError(new SpeechStreamErrorDetail($"Synthesis failed mid-stream: {e.Message} Retry the request.")), CancellationToken.None);
                else http.Abort();
                return Results.Empty;
            }
            return Results.Empty;
        }
    }

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

    /// <summary>
    /// A cached result as the stream would have sent it: <c>audio</c> sends the file's stream form (<see cref="AudioEncoders.Streamed"/>:
    /// the same bytes as a fresh stream), <c>sse</c> the same bytes in deltas of <see cref="CachedChunkBytes"/> (a fresh stream sends one
    /// delta per sentence; the deltas' concatenation is the same) and the same <c>speech.audio.done</c> usage.
    /// </summary>
    private async Task<IResult> StreamCachedAsync(HttpContext http, SpeechStream stream, CachedAudio cached, long started, CancellationToken ct)
    {
        var sse = stream.StreamFormat == Sse;
        var bytes = AudioEncoders.Streamed(stream.Format, cached.Content);
        var response = StartResponse(http, stream, cached.ContentType, cached.VoiceId, started, hit: true);
        response.Headers["X-Tts-Audio-Seconds"] = cached.AudioSeconds.ToString("0.000", CultureInfo.InvariantCulture);
        try
        {
            for (var at = 0; at < bytes.Length; at += CachedChunkBytes)
                await WriteAsync(response, bytes[at..Math.Min(bytes.Length, at + CachedChunkBytes)], sse, ct);
            if (sse) await WriteEventAsync(response, Done(stream, cached.AudioSeconds), ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
        }
        return Results.Empty;
    }

    private static HttpResponse StartResponse(HttpContext http, SpeechStream stream, string contentType, string voiceId, long started, bool hit)
    {
        var response = http.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = stream.StreamFormat == Sse ? "text/event-stream" : contentType;
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Tts-Voice"] = voiceId;
        response.Headers["X-Tts-Stream"] = stream.StreamFormat;
        response.Headers["X-Tts-Cache"] = hit ? "hit" : "miss";
        response.Headers["X-Tts-First-Audio-Ms"] = Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return response;
    }

    /// <summary>The closing event; output tokens are milliseconds of audio, from the same figure a cached result keeps.</summary>
    private static SpeechAudioDone Done(SpeechStream stream, double seconds) =>
        new(new SpeechUsage(stream.InputChars, (int)Math.Round(seconds * 1000)));

    private static int OutputSampleRate(string format) => format == "pcm" ? Orleans.Tts.Audio.Codecs.AudioEncoders.PcmSampleRate : 22050;

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

    /// <summary>The problem answer for a failure before the stream began, or null when it is not the client's or a capacity matter.</summary>
    public static IResult? ProblemFor(HttpContext http, Exception e) => e switch
    {
        WorkerPoolSaturatedException s => Problem.Busy(http, $"{s.Message} {s.Queued} requests are waiting.", s.RetryAfter),
        AdmissionRejectedException a => Problem.Busy(http, a.Message, a.RetryAfter),
        UnknownVoiceException u => Problem.BadRequest("Unknown voice", u.Message),
        EngineUnavailableException u => Problem.Busy(http, $"{u.Message} Retry.", TimeSpan.FromSeconds(1)),
        Orleans.Tts.Cluster.StorageUnavailableException u => Problem.Busy(http, $"The speaker's style is not cached on this silo and {u.Message}", u.RetryAfter, "Speakers unavailable"),
        _ => null,
    };
}

using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Admission;
using Orleans.Tts.Frontend.Problems;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Frontend.Streaming;

/// <summary>What the speech endpoint asks to stream, already validated.</summary>
/// <param name="Synthesis">The synthesis; its voice is replaced by the admission permit's (a fallback under saturation).</param>
/// <param name="StreamFormat"><c>audio</c> (the audio file, chunked) or <c>sse</c> (OpenAI speech events).</param>
public sealed record SpeechStream(SynthesisRequest Synthesis, AdmissionRequest Admission, string Format, string StreamFormat, int InputChars);

/// <summary>
/// Streams speech sentence by sentence: the response starts as soon as the first sentence is synthesised.
/// Anything that fails before the first byte is a problem response; after it, an SSE stream ends with an
/// <c>error</c> event and an audio stream is aborted (so a client never mistakes a truncated file for a whole one).
/// The request's abort token cancels the remaining sentences.
/// </summary>
public sealed class SpeechStreamer(ISynthesisWorker worker, IAdmissionGrain admission, ILogger<SpeechStreamer> logger)
{
    public const string Audio = "audio", Sse = "sse";
    public static readonly IReadOnlyList<string> StreamFormats = [Audio, Sse];

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<IResult> StreamAsync(HttpContext http, SpeechStream stream, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
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
            using var encoder = StreamingEncoders.Create(stream.Format);
            var response = http.Response;
            response.StatusCode = StatusCodes.Status200OK;
            response.ContentType = sse ? "text/event-stream" : encoder.ContentType;
            response.Headers.CacheControl = "no-cache";
            response.Headers["X-Tts-Voice"] = permit.VoiceId;
            response.Headers["X-Tts-Stream"] = stream.StreamFormat;
            response.Headers["X-Tts-First-Audio-Ms"] = Stopwatch.GetElapsedTime(started).TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture);
            if (permit.Degradation is not null) response.Headers["X-Tts-Degraded"] = permit.Degradation;
            http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            var audio = TimeSpan.Zero;
            var sampleRate = 0;
            try
            {
                while (more)
                {
                    var clip = clips.Current;
                    audio += clip.Duration;
                    sampleRate = clip.SampleRate;
                    await WriteAsync(response, encoder.Encode(clip), sse, ct);
                    more = await clips.MoveNextAsync();
                }
                await WriteAsync(response, encoder.Finish(sampleRate == 0 ? OutputSampleRate(stream.Format) : sampleRate), sse, ct);
                if (sse)
                    await WriteEventAsync(response, new SpeechAudioDone(new SpeechUsage(stream.InputChars, (int)audio.TotalMilliseconds)), ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The client went away; the enumerator's disposal stops the remaining sentences.
            }
            catch (Exception e)
            {
                logger.LogWarning(e, "A speech stream failed after {Seconds:0.0} s of audio", audio.TotalSeconds);
                if (sse) await WriteEventAsync(response, new SpeechStreamError(new SpeechStreamErrorDetail($"Synthesis failed mid-stream: {e.Message} Retry the request.")), CancellationToken.None);
                else http.Abort();
            }
            return Results.Empty;
        }
    }

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

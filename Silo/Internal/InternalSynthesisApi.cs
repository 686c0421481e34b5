using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Orleans.Tts.Synthesis.Workers;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Silo.Internal;

/// <summary>
/// The silo's endpoints for frontends, on its HTTP/2 cleartext port only: planned sentences (<see cref="SentenceFrames.PlannedPath"/>,
/// what frontends send now) or a whole synthesis and a range of its items (<see cref="SentenceFrames.Path"/>, still answered for
/// frontends of an earlier version during a rolling upgrade) in, binary sentence frames out (<see cref="SentenceFrames"/>) as each
/// sentence is ready. A full worker queue is 503 with Retry-After (the
/// frontend tries another silo); an aborted HTTP/2 stream cancels the remaining sentences.
/// </summary>
public static class InternalSynthesisApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static WebApplication MapInternalSynthesis(this WebApplication app, int internalPort)
    {
        app.MapPost(SentenceFrames.Path, SynthesizeAsync).RequireHost($"*:{internalPort}").ExcludeFromDescription();
        app.MapPost(SentenceFrames.PlannedPath, SynthesizePlannedAsync).RequireHost($"*:{internalPort}").ExcludeFromDescription();
        app.MapGet("/internal/v1/voices", async (HttpContext http, ISynthesisWorker worker, CancellationToken ct) =>
            {
                // With the versions its audio is made with, so frontends key the result cache as this silo does.
                http.Response.Headers[ModelVersion.Header] = ModelVersion.Of(worker.Status.Detail);
                return Results.Json(await worker.GetVoicesAsync(ct), Json);
            })
            .RequireHost($"*:{internalPort}").ExcludeFromDescription();
        return app;
    }

    /// <summary>Old frontends: the whole request and a range of its items; this silo plans the whole text for every such call.</summary>
    private static Task SynthesizeAsync(HttpContext http, SynthesisWorkerPool pool, Orleans.Tts.Cluster.ISiloActivity activity, CancellationToken ct) =>
        ServeAsync<RemoteSynthesisRequest>(http, activity,
            remote => remote is null || remote.FirstSentence < 0 || remote.Count < 1
                ? "The body must be a RemoteSynthesisRequest (FirstSentence ≥ 0, Count ≥ 1 or absent)."
                : null,
            remote => pool.StreamAsync(remote.Request, remote.FirstSentence, remote.Count,
                total => http.Response.Headers[SentenceFrames.TotalHeader] = total.ToString(System.Globalization.CultureInfo.InvariantCulture), ct), ct);

    /// <summary>Items a frontend planned: only they are synthesised; the text they came from is neither sent nor planned here.</summary>
    private static Task SynthesizePlannedAsync(HttpContext http, SynthesisWorkerPool pool, Orleans.Tts.Cluster.ISiloActivity activity, CancellationToken ct) =>
        ServeAsync<PlannedSynthesisRequest>(http, activity, Invalid, planned => pool.StreamPlannedAsync(planned, ct), ct);

    /// <summary>503 while draining; a body <paramref name="invalid"/> finds wrong is a 400 saying why; else the clips as frames.</summary>
    private static async Task ServeAsync<T>(HttpContext http, Orleans.Tts.Cluster.ISiloActivity activity, Func<T?, string?> invalid,
        Func<T, IAsyncEnumerable<AudioClip>> synthesize, CancellationToken ct) where T : class
    {
        using var inFlight = activity.TryBegin();
        if (inFlight is null)
        {
            Busy(http, 1);
            http.Response.Headers[SentenceFrames.DrainingHeader] = "1";
            return;
        }
        var body = await ReadAsync<T>(http, ct);
        if (invalid(body) is { } problem)
        {
            await Results.Problem(problem, statusCode: 400).ExecuteAsync(http);
            return;
        }
        await WriteFramesAsync(http, synthesize(body!), ct);
    }

    /// <summary>The body, or null when it is not JSON of that shape (a 400 then, never a 500).</summary>
    private static async Task<T?> ReadAsync<T>(HttpContext http, CancellationToken ct) where T : class
    {
        try { return await JsonSerializer.DeserializeAsync<T>(http.Request.Body, Json, ct); }
        catch (JsonException) { return null; }
    }

    private static string? Invalid(PlannedSynthesisRequest? request)
    {
        const string shape = "The body must be a PlannedSynthesisRequest: voiceId, and 1 to {0} items, each a non-empty text with voiceId, speed 0.25–4, pitch −12…+12 and a finite gain ≥ 0, or a pause (text null) of 0–60 s.";
        var valid = request is { VoiceId.Length: > 0, Items: { Count: > 0 and <= PlannedSynthesisRequest.MaxItems } items }
            && items.All(i => i is not null && (i.IsPause
                ? i.Pause >= TimeSpan.Zero && i.Pause <= TimeSpan.FromSeconds(60)
                : i.Text!.Length > 0 && i.VoiceId is { Length: > 0 }
                  && i.Speed is >= SynthesisRequest.MinSpeed and <= SynthesisRequest.MaxSpeed
                  && i.Pitch is >= SynthesisRequest.MinPitch and <= SynthesisRequest.MaxPitch
                  && double.IsFinite(i.Gain) && i.Gain >= 0));
        return valid ? null : string.Format(System.Globalization.CultureInfo.InvariantCulture, shape, PlannedSynthesisRequest.MaxItems);
    }

    private static void Busy(HttpContext http, double seconds)
    {
        http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        http.Response.Headers.RetryAfter = Math.Max(1, Math.Ceiling(seconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>The clips as sentence frames, each flushed as it is ready; a failure before the first is a status code.</summary>
    private static async Task WriteFramesAsync(HttpContext http, IAsyncEnumerable<AudioClip> stream, CancellationToken ct)
    {
        await using var clips = stream.GetAsyncEnumerator(ct);
        bool more;
        try
        {
            more = await clips.MoveNextAsync();
        }
        catch (WorkerPoolSaturatedException e)
        {
            Busy(http, e.RetryAfter.TotalSeconds);
            return;
        }
        catch (UnknownVoiceException e)
        {
            await Results.Problem(e.Message, statusCode: 400, title: "Unknown voice").ExecuteAsync(http);
            return;
        }
        catch (Exception e) when (e is EngineUnavailableException or Orleans.Tts.Cluster.StorageUnavailableException)
        {
            Busy(http, 1);
            return;
        }
        http.Response.ContentType = SentenceFrames.ContentType;
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        while (more)
        {
            await SentenceFrames.WriteAsync(http.Response.Body, clips.Current, ct);
            await http.Response.Body.FlushAsync(ct);
            more = await clips.MoveNextAsync();
        }
        await SentenceFrames.WriteEndAsync(http.Response.Body, ct);
    }
}

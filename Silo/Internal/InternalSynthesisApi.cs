using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Orleans.Tts.Grains.Workers;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Silo.Internal;

/// <summary>
/// The silo's endpoint for frontends, on its HTTP/2 cleartext port only: a synthesis in, binary sentence frames
/// out (<see cref="SentenceFrames"/>) as each sentence is ready. A full worker queue is 503 with Retry-After (the
/// frontend tries another silo); an aborted HTTP/2 stream cancels the remaining sentences.
/// </summary>
public static class InternalSynthesisApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static WebApplication MapInternalSynthesis(this WebApplication app, int internalPort)
    {
        app.MapPost(SentenceFrames.Path, SynthesizeAsync).RequireHost($"*:{internalPort}").ExcludeFromDescription();
        app.MapGet("/internal/v1/voices", async (ISynthesisWorker worker, CancellationToken ct) => Results.Json(await worker.GetVoicesAsync(ct), Json))
            .RequireHost($"*:{internalPort}").ExcludeFromDescription();
        return app;
    }

    private static async Task SynthesizeAsync(HttpContext http, SynthesisWorkerPool pool, Orleans.Tts.Cluster.ISiloActivity activity, CancellationToken ct)
    {
        using var inFlight = activity.TryBegin();
        if (inFlight is null)
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            http.Response.Headers.RetryAfter = "1";
            http.Response.Headers[SentenceFrames.DrainingHeader] = "1";
            return;
        }
        var remote = await JsonSerializer.DeserializeAsync<RemoteSynthesisRequest>(http.Request.Body, Json, ct);
        if (remote is null || remote.FirstSentence < 0 || remote.Count < 1)
        {
            await Results.Problem("The body must be a RemoteSynthesisRequest (FirstSentence ≥ 0, Count ≥ 1 or absent).", statusCode: 400).ExecuteAsync(http);
            return;
        }
        await using var clips = pool.StreamAsync(remote.Request, remote.FirstSentence, remote.Count,
            total => http.Response.Headers[SentenceFrames.TotalHeader] = total.ToString(System.Globalization.CultureInfo.InvariantCulture), ct).GetAsyncEnumerator(ct);
        bool more;
        try
        {
            more = await clips.MoveNextAsync();
        }
        catch (WorkerPoolSaturatedException e)
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            http.Response.Headers.RetryAfter = Math.Max(1, Math.Ceiling(e.RetryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
            return;
        }
        catch (UnknownVoiceException e)
        {
            await Results.Problem(e.Message, statusCode: 400, title: "Unknown voice").ExecuteAsync(http);
            return;
        }
        catch (Exception e) when (e is EngineUnavailableException or Orleans.Tts.Cluster.StorageUnavailableException)
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            http.Response.Headers.RetryAfter = "1";
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

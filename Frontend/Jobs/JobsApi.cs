using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Audio;
using Orleans.Tts.Cluster;
using Orleans.Tts.Frontend.Auth;
using Orleans.Tts.Frontend.Problems;
using Orleans.Tts.Frontend.Speakers;
using Orleans.Tts.Frontend.Speech;
using Orleans.Tts.Speech.Ssml;
using Orleans.Tts.Frontend.Streaming;
using Orleans.Tts.Speech;
using Orleans.Tts.Jobs;
using Orleans.Tts.Speakers;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Telemetry;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Frontend.Jobs;

/// <summary>
/// Asynchronous jobs for long text: <c>POST /v1/jobs</c> queues the text (validated as <c>/v1/audio/speech</c> is, up to
/// TTS_MAX_JOB_CHARS), silos synthesise it unit by unit, and the status, progress events and the audio are read back here.
/// </summary>
public static class JobsApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly TimeSpan KeepAlive = TimeSpan.FromSeconds(15);

    public static IEndpointRouteBuilder MapJobsEndpoints(this IEndpointRouteBuilder app)
    {
        app.MapPost("/v1/jobs", SubmitAsync).WithName("CreateJob").WithSummary("Queue long text for synthesis; 202 with the job's status and Location.")
            .Produces<JobStatus>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status503ServiceUnavailable);
        app.MapGet("/v1/jobs/{id}", GetAsync).WithName("GetJob").WithSummary("A job's state, progress (sentences done of total) and ETA.")
            .Produces<JobStatus>().ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/v1/jobs/{id}/events", EventsAsync).WithName("GetJobEvents")
            .WithSummary("Server-sent events: 'progress' with the JobStatus on each change, then one 'done', 'failed' or 'cancelled'.")
            .Produces(StatusCodes.Status200OK, contentType: "text/event-stream").ProducesProblem(StatusCodes.Status404NotFound);
        app.MapGet("/v1/jobs/{id}/audio", AudioAsync).WithName("GetJobAudio").WithSummary("The finished job's audio in its response_format.")
            .Produces(StatusCodes.Status200OK, contentType: "audio/mpeg").ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status410Gone).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        app.MapGet("/v1/jobs/{id}/captions.vtt", (string id, HttpContext http, IJobStore jobs, CancellationToken ct) => CaptionsAsync(id, http, jobs, vtt: true, ct))
            .WithName("GetJobCaptionsVtt").WithSummary("The finished job's captions as WebVTT, from its words (cues of the input as written).")
            .Produces(StatusCodes.Status200OK, contentType: "text/vtt").ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status410Gone).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        app.MapGet("/v1/jobs/{id}/captions.srt", (string id, HttpContext http, IJobStore jobs, CancellationToken ct) => CaptionsAsync(id, http, jobs, vtt: false, ct))
            .WithName("GetJobCaptionsSrt").WithSummary("The finished job's captions as SubRip (SRT), from its words.")
            .Produces(StatusCodes.Status200OK, contentType: "application/x-subrip").ProducesProblem(StatusCodes.Status404NotFound)
            .ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status410Gone).ProducesProblem(StatusCodes.Status422UnprocessableEntity);
        app.MapDelete("/v1/jobs/{id}", CancelAsync).WithName("CancelJob").WithSummary("Cancels a queued or running job (idempotent).")
            .Produces<JobStatus>().ProducesProblem(StatusCodes.Status404NotFound);
        return app;
    }

    private static async Task<IResult> SubmitAsync(HttpContext http, IJobStore jobs, JobOptions options, VoiceResolver voices, ISpeakerDirectory speakers,
        ISiloActivity activity, TtsMetrics metrics, ILoggerFactory loggers, CancellationToken ct)
    {
        using var inFlight = activity.TryBegin();
        if (inFlight is null)
            return Problem.Busy(http, "This process is draining before shutdown and accepts no new jobs; retry and another one will take it.", TimeSpan.FromSeconds(1), "Draining");
        var parsed = await SpeechApi.ReadRequestAsync(http, Math.Max(64 * 1024, options.MaxChars * 12L + 8 * 1024), ct);
        if (parsed.Problem is not null) return parsed.Problem;
        var body = parsed.Request!;

        int length;
        string text, format;
        bool words;
        SpeechValidation.ResolvedVoice resolved;
        try
        {
            length = SpeechValidation.Input(body.Input, options.MaxChars, "Split the text into several jobs.");
            text = SpeakableText.Clean(body.Input!);
            format = SpeechValidation.Format(body.ResponseFormat);
            SpeechValidation.Prosody(body.Speed, body.Pitch, body.Model);
            // Words are recorded unless the job asks for none (their cost is small: README, "Captions of jobs").
            words = body.Timestamps is null || SpeechWords.Wanted(body.Timestamps);
            if (body.StreamFormat is not null)
                return Problem.BadRequest("stream_format does not apply to jobs",
                    "A job's audio is read when it is finished (GET /v1/jobs/{id}/audio); follow its progress with GET /v1/jobs/{id}/events. Leave out stream_format.");
            if (SsmlParser.LooksLikeSsml(text))
                return Problem.BadRequest("SSML is not supported in jobs",
                    "Jobs take plain text. Send SSML (at most the speech limit) to POST /v1/audio/speech, or send the job's text without markup.");
            resolved = await SpeechValidation.VoiceAsync(speakers, voices, body.Voice, body.Speed ?? 1.0, body.Pitch ?? 0.0, ct);
        }
        catch (Exception e) when (Problem.For(http, e) is { } problem)
        {
            return problem;
        }
        var (voiceId, speaker, speed, pitch, volume) = resolved;
        var voice = speaker is null ? voiceId : $"{SpeechValidation.SpeakerPrefix}{speaker.Id}";
        var speakerId = speaker?.Id;
        var rate = RateOf(await voices.ListAsync(ct), voiceId);

        JobRecord job;
        try
        {
            job = await jobs.CreateAsync(new JobSpec(text, voice, voiceId, speakerId, format, speed, pitch, volume, Owner(http), rate, words), ct);
        }
        catch (JobBacklogFullException e)
        {
            return Problem.Busy(http, e.Message, e.RetryAfter, "Job backlog full");
        }
        catch (JobTooLargeException e)
        {
            return Problem.Of(StatusCodes.Status413PayloadTooLarge, "Job too large for the job storage", e.Message,
                new Dictionary<string, object?> { ["expectedBytes"] = e.RequestedBytes, ["storageLimitBytes"] = e.LimitBytes, ["maxInputChars"] = e.MaxChars });
        }
        catch (JobStorageFullException e)
        {
            metrics.Rejected(e.ClientShare ? "job_storage_client_share" : "job_storage_full");
            // The numbers behind the refusal, for clients that want to size their next job.
            return Problem.Busy(http, e.Message, e.RetryAfter, e.ClientShare ? "Job storage share used up" : "Job storage full",
                new Dictionary<string, object?>
                {
                    ["expectedBytes"] = e.RequestedBytes, ["usedBytes"] = e.UsedBytes, ["storageLimitBytes"] = e.LimitBytes, ["clientShare"] = e.ClientShare,
                });
        }
        catch (StorageUnavailableException e)
        {
            return Problem.Busy(http, $"The job could not be stored: {e.Message}", e.RetryAfter, "Jobs unavailable");
        }
        loggers.CreateLogger(typeof(JobsApi)).LogInformation("Job {Job} queued: {Chars} characters, {Sentences} sentences, voice {Voice}, {Format}",
            job.Id, length, job.TotalSentences, voice, format);
        http.Response.Headers.Location = $"/v1/jobs/{job.Id}";
        return Results.Json(Status(job), Json, statusCode: StatusCodes.Status202Accepted);
    }

    private static async Task<IResult> GetAsync(string id, HttpContext http, IJobStore jobs, CancellationToken ct)
    {
        var (job, problem) = await FindAsync(http, jobs, id, ct);
        return problem ?? Results.Json(Status(job!), Json);
    }

    private static async Task<IResult> CancelAsync(string id, HttpContext http, IJobStore jobs, ILoggerFactory loggers, CancellationToken ct)
    {
        var (_, problem) = await FindAsync(http, jobs, id, ct);
        if (problem is not null) return problem;
        JobRecord? job;
        try { job = await jobs.CancelAsync(id, ct); }
        catch (StorageUnavailableException e) { return Problem.Busy(http, $"The job cannot be reached: {e.Message}", e.RetryAfter, "Jobs unavailable"); }
        if (job is null) return NotFound(id);
        if (job.State == JobState.Cancelled) loggers.CreateLogger(typeof(JobsApi)).LogInformation("Job {Job} cancelled", id);
        return Results.Json(Status(job), Json);
    }

    private static async Task<IResult> EventsAsync(string id, HttpContext http, IJobStore jobs, CancellationToken ct)
    {
        var (job, problem) = await FindAsync(http, jobs, id, ct);
        if (problem is not null) return problem;
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        JobStatus? last = null;
        try
        {
            // Every change the job's grain publishes (on its Orleans stream, from whichever silo holds it); null: a quiet interval.
            await foreach (var record in jobs.WatchAsync(id, KeepAlive, ct))
            {
                if (record is null)
                {
                    await http.Response.WriteAsync(": keep-alive\n\n", ct);
                    await http.Response.Body.FlushAsync(ct);
                    continue;
                }
                var status = Status(record);
                if (status.IsFinal)
                {
                    await WriteEventAsync(http, status.State == "succeeded" ? "done" : status.State, status, ct);
                    break;
                }
                if (last is null || last.State != status.State || last.Progress != status.Progress)
                {
                    await WriteEventAsync(http, "progress", status, ct);
                    last = status;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested) { }
        catch (StorageUnavailableException) { } // the client reconnects; the stream so far was correct
        return Results.Empty;
    }

    private static async Task WriteEventAsync(HttpContext http, string name, JobStatus status, CancellationToken ct)
    {
        await http.Response.WriteAsync($"event: {name}\ndata: {JsonSerializer.Serialize(status, Json)}\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
    }

    /// <summary>The job's result (audio or captions: <paramref name="what"/>), or the problem why it cannot be read (yet).</summary>
    private static async Task<(JobRecord? Job, IResult? Problem)> FindResultAsync(HttpContext http, IJobStore jobs, string id, string what, CancellationToken ct)
    {
        var (job, problem) = await FindAsync(http, jobs, id, ct);
        if (problem is not null) return (null, problem);
        var status = Status(job!);
        switch (job!.State)
        {
            case JobState.Queued or JobState.Running:
            {
                var seconds = (int)Math.Clamp(Math.Ceiling(status.EtaSeconds ?? 5), 1, 60);
                http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
                return (null, Problem.Of(StatusCodes.Status409Conflict, "Job not finished",
                    $"Job {id} is {status.State} ({job.DoneSentences} of {job.TotalSentences} sentences done); its {what} is ready when it succeeds. " +
                    $"Retry in {seconds} s, or follow GET /v1/jobs/{id}/events.",
                    new Dictionary<string, object?> { ["state"] = status.State, ["progress"] = status.Progress, ["retryAfterSeconds"] = seconds, ["eventsUrl"] = $"/v1/jobs/{id}/events" }));
            }
            case JobState.Cancelled:
                return (null, Problem.Of(StatusCodes.Status410Gone, "Job cancelled", $"Job {id} was cancelled; it has no {what}. Submit it again with POST /v1/jobs."));
            case JobState.Failed:
                return (null, Problem.Of(StatusCodes.Status422UnprocessableEntity, "Job failed", $"Job {id} failed and has no {what}: {job.Error}",
                    new Dictionary<string, object?> { ["error"] = job.Error }));
        }
        return job.Expired(DateTimeOffset.UtcNow) ? (null, Expired(job)) : (job, null);
    }

    private static IResult Expired(JobRecord job) => Problem.Of(StatusCodes.Status410Gone, "Job expired",
        $"Job {job.Id}'s audio and captions expired at {job.ExpiresAt:O} and were deleted (results are kept for the configured TTL). Submit it again with POST /v1/jobs.");

    private static async Task<IResult> CaptionsAsync(string id, HttpContext http, IJobStore jobs, bool vtt, CancellationToken ct)
    {
        var (job, problem) = await FindResultAsync(http, jobs, id, "captions", ct);
        if (problem is not null) return problem;
        JobWords? words;
        try { words = await jobs.ReadWordsAsync(id, ct); }
        catch (StorageUnavailableException e) { return Problem.Busy(http, $"The job's captions cannot be read right now: {e.Message}", e.RetryAfter, "Jobs unavailable"); }
        if (words is null)
        {
            // Purged while being read, or a job that recorded no words.
            var (now, again) = await FindResultAsync(http, jobs, id, "captions", ct);
            return again ?? Problem.Of(StatusCodes.Status404NotFound, "No captions for this job",
                $"Job {now!.Id} recorded no word timings (it was submitted with \"timestamps\": \"none\", or before jobs recorded them), so it has no captions. " +
                "Submit it again without timestamps (or with \"timestamps\": \"word\") to get them.");
        }
        var body = vtt ? Captions.WebVtt(words.Input, words.Words) : Captions.Srt(words.Input, words.Words);
        http.Response.Headers["X-Tts-Voice"] = job!.Voice;
        return Results.Text(body, vtt ? "text/vtt; charset=utf-8" : "application/x-subrip; charset=utf-8", System.Text.Encoding.UTF8);
    }

    private static async Task<IResult> AudioAsync(string id, HttpContext http, IJobStore jobs, ILoggerFactory loggers, CancellationToken ct)
    {
        var (job, problem) = await FindResultAsync(http, jobs, id, "audio", ct);
        if (problem is not null) return problem;

        var format = job!.ResponseFormat;
        var rate = job.SampleRate ?? 0;
        var total = job.TotalSamples ?? 0;
        http.Response.ContentType = OutputFormats.ContentType(format);
        http.Response.Headers["X-Tts-Voice"] = job.Voice;
        http.Response.Headers["X-Tts-Audio-Seconds"] = (rate > 0 ? (double)total / rate : 0).ToString("0.000", CultureInfo.InvariantCulture);
        using var encoder = format == "wav" ? null : StreamingEncoders.Create(format);
        if (encoder is null)
        {
            // WAV with exact sizes: the total is known once the job succeeded.
            http.Response.ContentLength = 44 + total * 2;
            await http.Response.Body.WriteAsync(WavWriter.Header(rate, (uint)(total * 2)), ct);
        }
        long written = 0;
        try
        {
            await foreach (var part in jobs.ReadAudioAsync(id, ct))
            {
                written += part.Audio.Samples.Length;
                await http.Response.Body.WriteAsync(encoder is null ? WavWriter.EncodePcm(part.Audio.Samples) : encoder.Encode(part.Audio), ct);
            }
        }
        catch (StorageUnavailableException e) when (!http.Response.HasStarted)
        {
            return Problem.Busy(http, $"The job's audio cannot be read right now: {e.Message}", e.RetryAfter, "Jobs unavailable");
        }
        if (written != total)
        {
            // Purged while being read: abort, so the client never takes a truncated file for the whole one.
            loggers.CreateLogger(typeof(JobsApi)).LogWarning("Job {Job} audio ended after {Written} of {Total} samples; aborting the download", id, written, total);
            http.Abort();
            return Results.Empty;
        }
        if (encoder is not null) await http.Response.Body.WriteAsync(encoder.Finish(rate), ct);
        return Results.Empty;
    }

    private static async Task<(JobRecord? Job, IResult? Problem)> FindAsync(HttpContext http, IJobStore jobs, string id, CancellationToken ct)
    {
        try
        {
            // Another key's job is answered like an unknown one: its existence is not revealed.
            return await jobs.GetAsync(id, ct) is { } job && MayAccess(http, job) ? (job, null) : (null, NotFound(id));
        }
        catch (StorageUnavailableException e)
        {
            return (null, Problem.Busy(http, $"The job cannot be read: {e.Message}", e.RetryAfter, "Jobs unavailable"));
        }
    }

    /// <summary>
    /// The native rate of the voice that speaks a job, for its expected size: a listed voice's, else (a Kokoro blend) its first
    /// voice's, else 0 (the store then assumes the highest usual rate).
    /// </summary>
    private static int RateOf(IReadOnlyList<VoiceInfo> voices, string voiceId)
    {
        if (voices.FirstOrDefault(v => v.Id.Equals(voiceId, StringComparison.OrdinalIgnoreCase)) is { } listed) return listed.SampleRate;
        var colon = voiceId.IndexOf(':');
        var first = voiceId[..(colon + 1)] + voiceId[(colon + 1)..].Split('+', '*')[0].Trim();
        return voices.FirstOrDefault(v => v.Id.Equals(first, StringComparison.OrdinalIgnoreCase))?.SampleRate ?? 0;
    }

    /// <summary>The submitting API key's name when keys are checked; null without keys (a job id is then its only secret).</summary>
    private static string? Owner(HttpContext http) => http.Features.Get<ClientIdentity>()?.Key?.Name;

    /// <summary>A job with an owner is visible to that key and to admin keys only.</summary>
    private static bool MayAccess(HttpContext http, JobRecord job) =>
        job.Owner is null || http.Features.Get<ClientIdentity>()?.Key is { } key && (key.Role == ApiKeyRole.Admin || key.Name == job.Owner);

    private static IResult NotFound(string id) =>
        Problem.Of(StatusCodes.Status404NotFound, "Unknown job",
            $"There is no job '{SpeechValidation.Echo(id)}' (or it expired and was forgotten). Job ids come from POST /v1/jobs, in its Location header.");

    /// <summary>The public status; the ETA comes from the sentences done since the job started.</summary>
    public static JobStatus Status(JobRecord job)
    {
        var now = DateTimeOffset.UtcNow;
        double? eta = job.State switch
        {
            JobState.Succeeded => 0,
            JobState.Running when job.DoneSentences > 0 && job.StartedAt is { } started && now > started =>
                Math.Round((job.TotalSentences - job.DoneSentences) * (now - started).TotalSeconds / job.DoneSentences, 1),
            _ => null,
        };
        var audio = job.State == JobState.Succeeded && !job.Expired(now) ? $"/v1/jobs/{job.Id}/audio" : null;
        return new JobStatus(job.Id, job.State.Wire(), new JobProgress(job.DoneSentences, job.TotalSentences), eta, job.Voice, job.ResponseFormat,
            job.CreatedAt, job.UpdatedAt, job.ExpiresAt, audio, job.State == JobState.Failed ? job.Error : null);
    }
}

using System.Text.Json.Serialization;
using Orleans.Concurrency;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Jobs;

/// <summary>Where a job is in its life; the wire names are lower case.</summary>
[GenerateSerializer, Alias("tts.JobState")]
public enum JobState { Queued, Running, Succeeded, Failed, Cancelled }

public static class JobStates
{
    public static string Wire(this JobState state) => state switch
    {
        JobState.Queued => "queued",
        JobState.Running => "running",
        JobState.Succeeded => "succeeded",
        JobState.Failed => "failed",
        _ => "cancelled",
    };

    public static JobState Parse(string wire) => wire switch
    {
        "queued" => JobState.Queued,
        "running" => JobState.Running,
        "succeeded" => JobState.Succeeded,
        "failed" => JobState.Failed,
        "cancelled" => JobState.Cancelled,
        _ => throw new FormatException($"Unknown job state '{wire}'."),
    };

    public static bool IsActive(this JobState state) => state is JobState.Queued or JobState.Running;
}

/// <summary>What a client asked for, validated by the Frontend.</summary>
/// <param name="Voice">The voice as the job reports it (the resolved id, or <c>speaker:&lt;id&gt;</c>).</param>
/// <param name="VoiceId">The engine voice that speaks it.</param>
/// <param name="SpeakerId">The speaker whose embedding the engine gets, for <c>speaker:&lt;id&gt;</c>.</param>
/// <param name="Owner">The API key name that submitted it; only that key (or an admin key) may see or cancel it. Null without keys.</param>
/// <param name="SampleRate">The voice's native rate in Hz, for the expected size of the result (0: unknown, the highest usual rate is assumed).</param>
/// <param name="Words">Record the units' words (for the job's captions).</param>
[GenerateSerializer, Immutable, Alias("tts.JobSpec")]
public sealed record JobSpec([property: Id(0)] string Input, [property: Id(1)] string Voice, [property: Id(2)] string VoiceId,
    [property: Id(3)] string? SpeakerId, [property: Id(4)] string ResponseFormat, [property: Id(5)] double Speed = 1.0, [property: Id(6)] double Pitch = 0.0,
    [property: Id(7)] double Volume = 1.0, [property: Id(8)] string? Owner = null, [property: Id(9)] int SampleRate = 0, [property: Id(10)] bool Words = false);

/// <summary>A job as stored.</summary>
/// <param name="DoneSentences">Sentences of finished units.</param>
/// <param name="SampleRate">Rate of the job's PCM, known once a unit finished.</param>
/// <param name="TotalSamples">Samples of the whole result, set when the job succeeds.</param>
/// <param name="Purged">The result passed its expiry and was deleted (the record is kept a while to answer 410).</param>
/// <param name="Owner">The API key name that submitted it (see <see cref="JobSpec.Owner"/>).</param>
[GenerateSerializer, Immutable, Alias("tts.JobRecord")]
public sealed record JobRecord([property: Id(0)] string Id, [property: Id(1)] JobState State, [property: Id(2)] string Voice,
    [property: Id(3)] string ResponseFormat, [property: Id(4)] int DoneSentences, [property: Id(5)] int TotalSentences,
    [property: Id(6)] DateTimeOffset CreatedAt, [property: Id(7)] DateTimeOffset UpdatedAt, [property: Id(8)] DateTimeOffset? StartedAt,
    [property: Id(9)] DateTimeOffset? ExpiresAt, [property: Id(10)] string? Error, [property: Id(11)] int? SampleRate, [property: Id(12)] long? TotalSamples,
    [property: Id(13)] bool Purged, [property: Id(14)] string? Owner = null)
{
    public bool Expired(DateTimeOffset now) => Purged || ExpiresAt is { } at && at <= now;
}

/// <summary>One finished unit's audio: 16-bit mono PCM at the job's rate, in unit order.</summary>
public sealed record JobAudioPart(int Index, AudioClip Audio);

/// <summary>A finished job's words in order: spans of <paramref name="Input"/> (the job's input), times in the whole job's audio.</summary>
public sealed record JobWords(string Input, IReadOnlyList<Speech.SpokenWord> Words);

/// <summary>Jobs as the public API sees them (every process: silos and frontends).</summary>
public interface IJobStore
{
    /// <summary>True when jobs live in Redis and survive restarts; false for the in-memory embedded default.</summary>
    bool Durable { get; }

    /// <summary>
    /// Plans the input into units and queues it; throws <see cref="JobBacklogFullException"/> when too many jobs wait,
    /// <see cref="JobStorageFullException"/> when its expected audio does not fit the storage budget now and
    /// <see cref="JobTooLargeException"/> when it never would.
    /// </summary>
    ValueTask<JobRecord> CreateAsync(JobSpec spec, CancellationToken cancellationToken = default);

    ValueTask<JobRecord?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Cancels a queued or running job (a finished one is returned unchanged); null for an unknown id.</summary>
    ValueTask<JobRecord?> CancelAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>The finished units' audio in order, one unit at a time (never the whole result in memory).</summary>
    IAsyncEnumerable<JobAudioPart> ReadAudioAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>A succeeded job's words; null when it recorded none (or its result is gone).</summary>
    ValueTask<JobWords?> ReadWordsAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// The job now, then every change the job publishes (from whichever silo holds it), until it is final; null when nothing
    /// changed for <paramref name="quiet"/> (a caller's keep-alive). Nothing when the job is unknown.
    /// </summary>
    IAsyncEnumerable<JobRecord?> WatchAsync(string id, TimeSpan quiet, CancellationToken cancellationToken = default);

    /// <summary>Queued and running jobs and units, and the storage jobs hold, cluster-wide.</summary>
    ValueTask<JobBacklog> GetBacklogAsync(CancellationToken cancellationToken = default);
}

/// <param name="StoredBytes">PCM stored for jobs whose results have not expired (finished ones and the done units of running ones).</param>
/// <param name="ReservedBytes">The expected PCM of the units of queued and running jobs not done yet.</param>
[GenerateSerializer, Immutable, Alias("tts.JobBacklog")]
public sealed record JobBacklog([property: Id(0)] int QueuedJobs, [property: Id(1)] int RunningJobs, [property: Id(2)] int PendingUnits,
    [property: Id(3)] long StoredBytes = 0, [property: Id(4)] long ReservedBytes = 0)
{
    /// <summary>What counts against the storage budget.</summary>
    public long UsedBytes => StoredBytes + ReservedBytes;
}

/// <summary>Too many jobs are queued; retry after <see cref="RetryAfter"/>.</summary>
public sealed class JobBacklogFullException(int queued, int limit, TimeSpan retryAfter)
    : Exception($"{queued} jobs are already queued, the most this cluster accepts ({limit}); retry in {Math.Ceiling(retryAfter.TotalSeconds)} s.")
{
    public int Queued { get; } = queued;
    public int Limit { get; } = limit;
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>
/// The job's expected audio does not fit the storage budget (<see cref="JobOptions.StorageMaxBytes"/>, or one API key's share of it)
/// now; retry after <see cref="RetryAfter"/>, when enough stored results will have expired.
/// </summary>
public sealed class JobStorageFullException(string message, long requestedBytes, long usedBytes, long limitBytes, bool clientShare, TimeSpan retryAfter)
    : Exception(message)
{
    public long RequestedBytes { get; } = requestedBytes;
    public long UsedBytes { get; } = usedBytes;
    public long LimitBytes { get; } = limitBytes;
    /// <summary>The limit hit is the submitting API key's share, not the whole budget.</summary>
    public bool ClientShare { get; } = clientShare;
    public TimeSpan RetryAfter { get; } = retryAfter;
}

/// <summary>The job's expected audio alone is larger than the storage budget (or one key's share): it can never be accepted as it is.</summary>
public sealed class JobTooLargeException(string message, long requestedBytes, long limitBytes, int maxChars) : Exception(message)
{
    public long RequestedBytes { get; } = requestedBytes;
    public long LimitBytes { get; } = limitBytes;
    /// <summary>About how many characters of this text, voice and speed would fit.</summary>
    public int MaxChars { get; } = maxChars;
}

/// <summary>The public status of a job (<c>GET /v1/jobs/{id}</c>).</summary>
public sealed record JobStatus(
    [property: JsonPropertyName("id")] string Id,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("progress")] JobProgress Progress,
    [property: JsonPropertyName("eta_seconds")] double? EtaSeconds,
    [property: JsonPropertyName("voice")] string Voice,
    [property: JsonPropertyName("response_format")] string ResponseFormat,
    [property: JsonPropertyName("created_at")] DateTimeOffset CreatedAt,
    [property: JsonPropertyName("updated_at")] DateTimeOffset UpdatedAt,
    [property: JsonPropertyName("expires_at")] DateTimeOffset? ExpiresAt,
    [property: JsonPropertyName("audio_url"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? AudioUrl = null,
    [property: JsonPropertyName("error"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Error = null)
{
    [JsonIgnore] public bool IsFinal => State is "succeeded" or "failed" or "cancelled";
}

/// <param name="Done">Sentences synthesised.</param>
/// <param name="Total">Sentences in the job.</param>
public sealed record JobProgress(
    [property: JsonPropertyName("done")] int Done,
    [property: JsonPropertyName("total")] int Total);

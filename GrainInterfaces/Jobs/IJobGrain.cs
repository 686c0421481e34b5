using Orleans.Concurrency;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Jobs;

/// <summary>
/// One job (key: its id): its input, written once, and its progress, written per finished unit, in grain storage. It sends its
/// units to the silos' synthesis grains (<see cref="ISynthesisGrain.RunJobUnitAsync"/>) and publishes every change on the job's
/// stream. Its activation is re-created on a live silo when <see cref="IJobIndexGrain"/> wakes it.
/// </summary>
[Alias("tts.IJobGrain")]
public interface IJobGrain : IGrainWithStringKey
{
    /// <summary>Reserves the job's storage at the index, stores the input and starts it; a refusal says why.</summary>
    [Alias("create")]
    Task<JobAdmission> CreateAsync(JobInput input);

    /// <summary>Null for an unknown job.</summary>
    [Alias("get")]
    Task<JobRecord?> GetAsync();

    [Alias("cancel")]
    Task<JobRecord?> CancelAsync();

    /// <summary>The rate and every unit's sample count of a succeeded, unexpired job (null otherwise): what a reader fetches unit by unit.</summary>
    [Alias("audio")]
    Task<JobAudioIndex?> GetAudioIndexAsync();

    /// <summary>What captions are rendered from, for a succeeded, unexpired job that recorded words (null otherwise): the audio's layout and the input.</summary>
    [Alias("captions")]
    Task<JobCaptionSource?> GetCaptionSourceAsync();

    /// <summary>Resumes an active job's units if nothing drives them (after its previous silo died); its usage for the index, null when unknown.</summary>
    [Alias("wake")]
    Task<JobUsageReport?> WakeAsync();

    /// <summary>Deletes the expired result's audio, keeping the record so its URLs answer 410.</summary>
    [Alias("purge")]
    Task PurgeAsync();

    /// <summary>Deletes the job's state altogether (after the tombstone time).</summary>
    [Alias("forget")]
    Task ForgetAsync();
}

/// <summary>
/// The cluster's jobs in one place (a single activation, key 0, persisted): the storage budget and backlog limit decided for
/// every submission, the active jobs it wakes, and the expired results it purges.
/// </summary>
[Alias("tts.IJobIndexGrain")]
public interface IJobIndexGrain : IGrainWithIntegerKey
{
    /// <summary>Takes a place and the job's expected bytes, or refuses.</summary>
    [Alias("reserve")]
    Task<JobAdmission> ReserveAsync(JobReservation reservation);

    /// <summary>A job's latest usage (from its grain, on every change).</summary>
    [Alias("report")]
    Task ReportAsync(JobUsageReport report);

    [Alias("backlog")]
    Task<JobBacklog> GetBacklogAsync();

    /// <summary>
    /// Called by every process's job maintenance each poll interval: it re-activates this grain on a live silo after its silo
    /// died, and wakes the active jobs and purges expired results.
    /// </summary>
    [Alias("ping")]
    Task PingAsync();
}

/// <param name="Text">The unit's text: its sentences, one per line.</param>
/// <param name="Sentences">Its sentences (progress counts them).</param>
/// <param name="LineStarts">Where each line of <paramref name="Text"/> starts in the job's input, so the unit's words get spans of the
/// input; null when the job records no words.</param>
[GenerateSerializer, Immutable, Alias("tts.JobUnitText")]
public sealed record JobUnitText([property: Id(0)] string Text, [property: Id(1)] int Sentences, [property: Id(2)] IReadOnlyList<int>? LineStarts = null);

/// <summary>What a job is made of, fixed when it is submitted.</summary>
/// <param name="Estimate">Expected PCM bytes of the whole result (what it reserves from the budget).</param>
[GenerateSerializer, Immutable, Alias("tts.JobInput")]
public sealed record JobInput([property: Id(0)] JobSpec Spec, [property: Id(1)] IReadOnlyList<JobUnitText> Units, [property: Id(2)] long Estimate,
    [property: Id(3)] DateTimeOffset CreatedAt)
{
    public int TotalSentences => Units.Sum(u => u.Sentences);
}

/// <summary>A submission as the index weighs it (the spec for the refusal's wording; the index keeps only the numbers).</summary>
[GenerateSerializer, Immutable, Alias("tts.JobReservation")]
public sealed record JobReservation([property: Id(0)] string Id, [property: Id(1)] JobSpec Spec, [property: Id(2)] long Estimate,
    [property: Id(3)] int Units, [property: Id(4)] int Sentences, [property: Id(5)] DateTimeOffset CreatedAt);

public enum JobAdmissionOutcome { Accepted, BacklogFull, StorageFull, TooLarge }

/// <summary>The index's answer to a submission; a refusal carries what the REST API reports (see the exceptions in IJobStore).</summary>
[GenerateSerializer, Immutable, Alias("tts.JobAdmission")]
public sealed record JobAdmission([property: Id(0)] JobAdmissionOutcome Outcome, [property: Id(1)] JobRecord? Record = null,
    [property: Id(2)] string? Message = null, [property: Id(3)] long RequestedBytes = 0, [property: Id(4)] long UsedBytes = 0,
    [property: Id(5)] long LimitBytes = 0, [property: Id(6)] bool ClientShare = false, [property: Id(7)] TimeSpan RetryAfter = default,
    [property: Id(8)] int MaxChars = 0, [property: Id(9)] int Queued = 0, [property: Id(10)] int Limit = 0)
{
    public static JobAdmission From(Exception refusal) => refusal switch
    {
        JobBacklogFullException e => new(JobAdmissionOutcome.BacklogFull, Message: e.Message, RetryAfter: e.RetryAfter, Queued: e.Queued, Limit: e.Limit),
        JobStorageFullException e => new(JobAdmissionOutcome.StorageFull, Message: e.Message, RequestedBytes: e.RequestedBytes, UsedBytes: e.UsedBytes,
            LimitBytes: e.LimitBytes, ClientShare: e.ClientShare, RetryAfter: e.RetryAfter),
        JobTooLargeException e => new(JobAdmissionOutcome.TooLarge, Message: e.Message, RequestedBytes: e.RequestedBytes, LimitBytes: e.LimitBytes, MaxChars: e.MaxChars),
        _ => throw new ArgumentException($"Not a job refusal: {refusal.GetType().Name}", nameof(refusal)),
    };

    /// <summary>The accepted job, or the refusal as the exception <see cref="IJobStore.CreateAsync"/> documents.</summary>
    public JobRecord Accepted() => Outcome switch
    {
        JobAdmissionOutcome.Accepted => Record!,
        JobAdmissionOutcome.BacklogFull => throw new JobBacklogFullException(Queued, Limit, RetryAfter),
        JobAdmissionOutcome.StorageFull => throw new JobStorageFullException(Message!, RequestedBytes, UsedBytes, LimitBytes, ClientShare, RetryAfter),
        _ => throw new JobTooLargeException(Message!, RequestedBytes, LimitBytes, MaxChars),
    };
}

/// <summary>What a job holds now, for the index's budget and backlog.</summary>
/// <param name="StoredBytes">PCM bytes of its done units (0 once purged, cancelled or failed).</param>
[GenerateSerializer, Immutable, Alias("tts.JobUsageReport")]
public sealed record JobUsageReport([property: Id(0)] JobRecord Record, [property: Id(1)] int DoneUnits, [property: Id(2)] int TotalUnits,
    [property: Id(3)] long StoredBytes, [property: Id(4)] long Estimate);

/// <summary>A finished job's audio layout: unit <c>i</c> holds <c>UnitSamples[i]</c> samples at <see cref="SampleRate"/>.</summary>
[GenerateSerializer, Immutable, Alias("tts.JobAudioIndex")]
public sealed record JobAudioIndex([property: Id(0)] int SampleRate, [property: Id(1)] IReadOnlyList<int> UnitSamples);

/// <summary>A finished job's audio layout and its input: the units' words (stored beside their audio) index the input.</summary>
[GenerateSerializer, Immutable, Alias("tts.JobCaptionSource")]
public sealed record JobCaptionSource([property: Id(0)] JobAudioIndex Audio, [property: Id(1)] string Input);

/// <summary>One unit of a job for a silo's background lane.</summary>
/// <param name="LineStarts">Record the unit's words: where each line of <paramref name="Text"/> starts in the job's input (<see cref="JobUnitText.LineStarts"/>).</param>
[GenerateSerializer, Immutable, Alias("tts.JobUnitWork")]
public sealed record JobUnitWork([property: Id(0)] string JobId, [property: Id(1)] int Index, [property: Id(2)] string Text,
    [property: Id(3)] string VoiceId, [property: Id(4)] string? SpeakerId, [property: Id(5)] double Speed, [property: Id(6)] double Pitch,
    [property: Id(7)] double Volume, [property: Id(8)] DateTimeOffset AudioExpiresAt, [property: Id(9)] IReadOnlyList<int>? LineStarts = null);

public enum JobUnitOutcome
{
    /// <summary>The unit's audio is stored (<see cref="JobUnitResult.Samples"/> at <see cref="JobUnitResult.SampleRate"/>).</summary>
    Done,
    /// <summary>The silo already runs its share of job units (TTS_JOB_MAX_WORKERS), is still loading, or cannot reach the audio store now: try later or elsewhere.</summary>
    Busy,
    /// <summary>The silo is shutting down.</summary>
    Draining,
    /// <summary>No silo speaks the voice: the job fails.</summary>
    UnknownVoice,
    /// <summary>Synthesis failed; counts as a try.</summary>
    Failed,
    /// <summary>The job was cancelled while the unit ran.</summary>
    Cancelled,
}

[GenerateSerializer, Immutable, Alias("tts.JobUnitResult")]
public sealed record JobUnitResult([property: Id(0)] JobUnitOutcome Outcome, [property: Id(1)] int Samples = 0, [property: Id(2)] int SampleRate = 0,
    [property: Id(3)] string? Error = null, [property: Id(4)] TimeSpan RetryAfter = default);

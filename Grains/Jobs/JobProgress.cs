using Orleans.Tts.Jobs;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>A job's input as stored (written once when the job is accepted; up to TTS_MAX_JOB_CHARS of text).</summary>
[GenerateSerializer, Alias("tts.JobInputState")]
public sealed class JobInputState
{
    [Id(0)] public JobInput? Input { get; set; }
}

/// <summary>
/// A job's progress as stored (written on every change, a few bytes per unit, never the text): which units are done and
/// how many samples each holds, and the job's state. The transitions are here; <see cref="JobGrain"/> stores and publishes them.
/// </summary>
[GenerateSerializer, Alias("tts.JobProgressState")]
public sealed class JobProgressState
{
    /// <summary>Samples of each unit's stored audio; -1 while it is not done.</summary>
    [Id(0)] public int[] UnitSamples { get; set; } = [];
    /// <summary>Failed tries of each unit (a silo that died does not count).</summary>
    [Id(1)] public int[] Failures { get; set; } = [];
    [Id(2)] public JobState State { get; set; }
    [Id(3)] public int DoneSentences { get; set; }
    [Id(4)] public int DoneUnits { get; set; }
    [Id(5)] public DateTimeOffset UpdatedAt { get; set; }
    [Id(6)] public DateTimeOffset? StartedAt { get; set; }
    [Id(7)] public DateTimeOffset? ExpiresAt { get; set; }
    [Id(8)] public string? Error { get; set; }
    [Id(9)] public int? SampleRate { get; set; }
    [Id(10)] public long? TotalSamples { get; set; }
    [Id(11)] public bool Purged { get; set; }

    public static JobProgressState Start(int units, DateTimeOffset now) => new()
    {
        UnitSamples = Enumerable.Repeat(-1, units).ToArray(), Failures = new int[units], State = JobState.Queued, UpdatedAt = now,
    };

    public bool IsDone(int unit) => UnitSamples[unit] >= 0;

    public IEnumerable<int> Pending() => Enumerable.Range(0, UnitSamples.Length).Where(i => !IsDone(i));

    /// <summary>PCM bytes of the done units (what the budget counts; the stored encoding is smaller).</summary>
    public long StoredBytes => State is JobState.Cancelled or JobState.Failed || Purged ? 0 : UnitSamples.Where(s => s > 0).Sum(s => 2L * s);

    public void MarkRunning(DateTimeOffset now)
    {
        if (State != JobState.Queued) return;
        State = JobState.Running;
        StartedAt = now;
        UpdatedAt = now;
    }

    /// <summary>Records a unit's stored audio once; false when it was already done or the job is no longer active (nothing changed).</summary>
    public bool CompleteUnit(int unit, int samples, int rate, int sentences, DateTimeOffset now)
    {
        if (!State.IsActive() || IsDone(unit)) return false;
        MarkRunning(now);
        UnitSamples[unit] = samples;
        SampleRate ??= rate;
        DoneSentences += sentences;
        DoneUnits++;
        UpdatedAt = now;
        return true;
    }

    /// <summary>Counts a failed try; true when the unit has now failed <paramref name="maxAttempts"/> times.</summary>
    public bool Fail(int unit, int maxAttempts) => ++Failures[unit] >= maxAttempts;

    public bool AllDone => DoneUnits == UnitSamples.Length;

    /// <summary>Ends the job: a result (or a cancelled/failed job's record) is kept for <paramref name="ttl"/>.</summary>
    public void Finish(JobState state, string? error, DateTimeOffset now, TimeSpan ttl)
    {
        State = state;
        Error = error;
        UpdatedAt = now;
        ExpiresAt = now + ttl;
        if (state == JobState.Succeeded) TotalSamples = UnitSamples.Sum(s => (long)s);
    }

    public JobRecord Record(string id, JobInput input) => new(id, State, input.Spec.Voice, input.Spec.ResponseFormat, DoneSentences,
        input.TotalSentences, input.CreatedAt, UpdatedAt, StartedAt, ExpiresAt, Error, SampleRate, TotalSamples, Purged, input.Spec.Owner);

}

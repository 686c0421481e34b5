using Orleans.Tts.Jobs;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>What the index knows of one job: enough for the budget, the backlog and the sweep (never its text).</summary>
[GenerateSerializer, Alias("tts.JobLedgerEntry")]
public sealed class JobLedgerEntry
{
    [Id(0)] public string? Owner { get; set; }
    [Id(1)] public long Estimate { get; set; }
    [Id(2)] public int TotalUnits { get; set; }
    [Id(3)] public int TotalSentences { get; set; }
    [Id(4)] public JobState State { get; set; }
    [Id(5)] public int DoneUnits { get; set; }
    [Id(6)] public int DoneSentences { get; set; }
    [Id(7)] public long StoredBytes { get; set; }
    [Id(8)] public DateTimeOffset? ExpiresAt { get; set; }
    [Id(9)] public bool Purged { get; set; }
    [Id(10)] public DateTimeOffset CreatedAt { get; set; }
    /// <summary>The job's grain confirmed it stored the input (a reservation whose job never got stored is dropped by the sweep).</summary>
    [Id(11)] public bool Confirmed { get; set; }

    /// <summary>The expected PCM of the units not done yet, while the job is active.</summary>
    public long Reserved => State.IsActive() ? Estimate * (TotalSentences - DoneSentences) / Math.Max(1, TotalSentences) : 0;

    public long Held => StoredBytes + Reserved;
}

[GenerateSerializer, Alias("tts.JobIndexState")]
public sealed class JobIndexState
{
    [Id(0)] public Dictionary<string, JobLedgerEntry> Jobs { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The cluster's job accounting, kept by the one <see cref="JobIndexGrain"/>: admission against TTS_MAX_QUEUED_JOBS and the storage
/// budget (<see cref="JobStorageBudget"/>), the backlog, and which jobs to wake, purge or forget.
/// </summary>
public sealed class JobLedger(JobIndexState state, JobOptions options)
{
    private readonly JobStorageBudget _budget = new(options);

    public IReadOnlyDictionary<string, JobLedgerEntry> Jobs => state.Jobs;

    /// <summary>Takes the job's place and bytes, or throws the refusal (<see cref="JobBacklogFullException"/>, <see cref="JobStorageFullException"/>, <see cref="JobTooLargeException"/>).</summary>
    public void Reserve(JobReservation job, DateTimeOffset now)
    {
        if (state.Jobs.ContainsKey(job.Id)) return;
        var queued = state.Jobs.Values.Count(j => j.State == JobState.Queued);
        if (queued >= options.MaxQueuedJobs) throw new JobBacklogFullException(queued, options.MaxQueuedJobs, TimeSpan.FromSeconds(30));
        var used = state.Jobs.Values.Sum(j => j.Held);
        var ownerUsed = job.Spec.Owner is null ? 0 : state.Jobs.Values.Where(j => j.Owner == job.Spec.Owner).Sum(j => j.Held);
        if (_budget.Check(job.Spec, job.Estimate, used, ownerUsed) is { } overflow)
            throw _budget.Refuse(overflow, Held(overflow.ClientShare ? job.Spec.Owner : null), now);
        state.Jobs[job.Id] = new JobLedgerEntry
        {
            Owner = job.Spec.Owner, Estimate = job.Estimate, TotalUnits = job.Units, TotalSentences = job.Sentences, State = JobState.Queued,
            CreatedAt = job.CreatedAt,
        };
    }

    public void Remove(string id) => state.Jobs.Remove(id);

    /// <summary>Takes a job's latest usage; true when what must survive a restart of the index changed (its state, its expiry).</summary>
    public bool Apply(JobUsageReport report)
    {
        if (!state.Jobs.TryGetValue(report.Record.Id, out var entry)) return false;
        var durable = entry.State != report.Record.State || entry.Purged != report.Record.Purged || !entry.Confirmed;
        entry.State = report.Record.State;
        entry.DoneUnits = report.DoneUnits;
        entry.DoneSentences = report.Record.DoneSentences;
        entry.StoredBytes = report.StoredBytes;
        entry.ExpiresAt = report.Record.ExpiresAt;
        entry.Purged = report.Record.Purged;
        entry.Confirmed = true;
        return durable;
    }

    public JobBacklog Backlog()
    {
        var active = state.Jobs.Values.Where(j => j.State.IsActive()).ToList();
        return new JobBacklog(active.Count(j => j.State == JobState.Queued), active.Count(j => j.State == JobState.Running),
            active.Sum(j => j.TotalUnits - j.DoneUnits), state.Jobs.Values.Sum(j => j.StoredBytes), active.Sum(j => j.Reserved));
    }

    /// <summary>Jobs still to run: woken every poll so a job whose silo died resumes.</summary>
    public IReadOnlyList<string> Active() => [.. state.Jobs.Where(j => j.Value.State.IsActive()).Select(j => j.Key)];

    /// <summary>Finished jobs whose result has expired and is still stored.</summary>
    public IReadOnlyList<string> Expired(DateTimeOffset now) =>
        [.. state.Jobs.Where(j => !j.Value.State.IsActive() && !j.Value.Purged && j.Value.ExpiresAt <= now).Select(j => j.Key)];

    /// <summary>Purged jobs past their tombstone time, whose records can go.</summary>
    public IReadOnlyList<string> Forgotten(DateTimeOffset now) =>
        [.. state.Jobs.Where(j => j.Value.Purged && j.Value.ExpiresAt + JobIds.TombstoneTime(options.Ttl) <= now).Select(j => j.Key)];

    /// <summary>Reservations whose job never confirmed it was stored (its grain's write failed): their space returns after a while.</summary>
    public IReadOnlyList<string> Abandoned(DateTimeOffset now) =>
        [.. state.Jobs.Where(j => !j.Value.Confirmed && j.Value.CreatedAt + TimeSpan.FromMinutes(1) <= now).Select(j => j.Key)];

    public void MarkPurged(string id)
    {
        if (!state.Jobs.TryGetValue(id, out var entry)) return;
        entry.Purged = true;
        entry.StoredBytes = 0;
    }

    /// <summary>Finished results holding storage (all, or one key's).</summary>
    private IReadOnlyList<HeldResult> Held(string? owner) =>
        [.. state.Jobs.Values.Where(j => !j.State.IsActive() && j.StoredBytes > 0 && j.ExpiresAt is not null && (owner is null || j.Owner == owner))
            .Select(j => new HeldResult(j.ExpiresAt!.Value, j.StoredBytes))];
}

/// <summary>Job ids and retention.</summary>
public static class JobIds
{
    /// <summary>128 random bits: ids cannot be guessed.</summary>
    public static string New() => "job_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>How long an expired job's record is kept after its audio is deleted, so its URLs answer 410 rather than 404.</summary>
    public static TimeSpan TombstoneTime(TimeSpan ttl) => ttl > TimeSpan.FromHours(1) ? ttl : TimeSpan.FromHours(1);
}

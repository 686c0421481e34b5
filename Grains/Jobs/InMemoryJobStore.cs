using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Orleans.Tts.Jobs;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// Jobs of the embedded default: records in this process, each finished unit's PCM in a temporary file (so a long job's
/// audio is never held in memory). Same leases and rules as <see cref="PostgresJobStore"/>; nothing survives a restart.
/// </summary>
public sealed class InMemoryJobStore(JobOptions options, JobPlanner planner, TimeProvider clock) : IJobStore, IJobQueue, IDisposable
{
    private readonly JobStorageBudget _budget = new(options);
    private readonly Dictionary<string, Job> _jobs = new(StringComparer.Ordinal);
    private readonly List<Job> _order = [];
    private readonly JobSignals _signals = new();
    private readonly Lock _lock = new();
    private readonly Lazy<string> _directory = new(() =>
        Directory.CreateDirectory(Path.Combine(Path.GetTempPath(), $"orleans-tts-jobs-{Environment.ProcessId}-{Guid.NewGuid():n}")).FullName);

    public bool Durable => false;

    private sealed class Unit(string text, int sentences)
    {
        public string Text { get; } = text;
        public int Sentences { get; } = sentences;
        public bool Done;
        public Guid? Lease;
        public DateTimeOffset LeaseExpires;
        public int Attempts;
        public int Samples;
        public string? File;
    }

    private sealed class Job(string id, JobSpec spec, List<Unit> units, long estimate, DateTimeOffset now)
    {
        public string Id { get; } = id;
        public JobSpec Spec { get; } = spec;
        public List<Unit> Units { get; } = units;
        public int TotalSentences { get; } = units.Sum(u => u.Sentences);
        /// <summary>Expected PCM bytes of the whole result (<see cref="JobStorageBudget.Estimate"/>).</summary>
        public long Estimate { get; } = estimate;
        public JobState State = JobState.Queued;
        public int Done;
        public int DoneUnits;
        /// <summary>Every unit before this index is done: claims scan from here.</summary>
        public int FirstOpen;
        /// <summary>PCM bytes of the done units' files.</summary>
        public long Stored;
        public DateTimeOffset Created = now, Updated = now;
        public DateTimeOffset? Started, Expires;
        public string? Error;
        public int? SampleRate;
        public long? TotalSamples;
        public bool Purged;

        public JobRecord Record() => new(Id, State, Spec.Voice, Spec.ResponseFormat, Done, TotalSentences, Created, Updated, Started,
            Expires, Error, SampleRate, TotalSamples, Purged, Spec.Owner);

        /// <summary>What the job holds against the storage budget: its stored PCM, plus the expected rest while it is active.</summary>
        public long Reserved => State.IsActive() ? Estimate * (TotalSentences - Done) / Math.Max(1, TotalSentences) : 0;
    }

    public ValueTask<JobRecord> CreateAsync(JobSpec spec, CancellationToken cancellationToken = default)
    {
        var units = planner.Plan(spec.Input).Select(u => new Unit(u.Text, u.Sentences)).ToList();
        var estimate = JobStorageBudget.Estimate(spec);
        var now = clock.GetUtcNow();
        JobRecord record;
        lock (_lock)
        {
            var queued = _order.Count(j => j.State == JobState.Queued);
            if (queued >= options.MaxQueuedJobs) throw new JobBacklogFullException(queued, options.MaxQueuedJobs, TimeSpan.FromSeconds(30));
            var (used, ownerUsed) = (0L, 0L);
            foreach (var held in _order)
            {
                var bytes = held.Stored + held.Reserved;
                used += bytes;
                if (spec.Owner is not null && held.Spec.Owner == spec.Owner) ownerUsed += bytes;
            }
            // Decided under the lock, so two submissions never both take the last space.
            if (_budget.Check(spec, estimate, used, ownerUsed) is { } overflow)
                throw _budget.Refuse(overflow, Held(overflow.ClientShare ? spec.Owner : null), now);
            var job = new Job(JobIds.New(), spec, units, estimate, now);
            _jobs[job.Id] = job;
            _order.Add(job);
            record = job.Record();
        }
        _signals.Signal(JobSignals.NewWork);
        return ValueTask.FromResult(record);
    }

    /// <summary>Finished results holding storage (all, or one key's); under the lock.</summary>
    private IReadOnlyList<HeldResult> Held(string? owner) =>
        [.. _order.Where(j => !j.State.IsActive() && j.Stored > 0 && j.Expires is not null && (owner is null || j.Spec.Owner == owner))
            .Select(j => new HeldResult(j.Expires!.Value, j.Stored))];

    public ValueTask<JobRecord?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        lock (_lock) return ValueTask.FromResult(_jobs.GetValueOrDefault(id)?.Record());
    }

    public ValueTask<JobRecord?> CancelAsync(string id, CancellationToken cancellationToken = default)
    {
        JobRecord? record;
        lock (_lock)
        {
            if (!_jobs.TryGetValue(id, out var job)) return ValueTask.FromResult<JobRecord?>(null);
            if (job.State.IsActive())
            {
                Finish(job, JobState.Cancelled, null);
                DeleteAudio(job);
            }
            record = job.Record();
        }
        _signals.Signal(id);
        return ValueTask.FromResult<JobRecord?>(record);
    }

    public async IAsyncEnumerable<JobAudioPart> ReadAudioAsync(string id, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        List<(int Rate, string File)> files;
        lock (_lock)
        {
            if (!_jobs.TryGetValue(id, out var job) || job.State != JobState.Succeeded || job.Purged) yield break;
            files = job.Units.Select(u => (job.SampleRate ?? 0, u.File!)).ToList();
        }
        for (var i = 0; i < files.Count; i++)
        {
            byte[] bytes;
            try { bytes = await File.ReadAllBytesAsync(files[i].File, cancellationToken); }
            catch (FileNotFoundException) { yield break; } // purged while being read
            yield return new JobAudioPart(i, new AudioClip(files[i].Rate, MemoryMarshal.Cast<byte, short>(bytes).ToArray()));
        }
    }

    public Task WaitForChangeAsync(string id, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _signals.WaitAsync(id, timeout, cancellationToken);

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _signals.WaitAsync(JobSignals.NewWork, timeout, cancellationToken);

    public ValueTask<JobBacklog> GetBacklogAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            var active = _order.Where(j => j.State.IsActive()).ToList();
            return ValueTask.FromResult(new JobBacklog(active.Count(j => j.State == JobState.Queued), active.Count(j => j.State == JobState.Running),
                active.Sum(j => j.Units.Count - j.DoneUnits), _order.Sum(j => j.Stored), active.Sum(j => j.Reserved)));
        }
    }

    public ValueTask<JobUnitLease?> TryClaimAsync(string siloId, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        lock (_lock)
        {
            foreach (var job in _order)
            {
                if (!job.State.IsActive()) continue;
                while (job.FirstOpen < job.Units.Count && job.Units[job.FirstOpen].Done) job.FirstOpen++;
                for (var i = job.FirstOpen; i < job.Units.Count; i++)
                {
                    var unit = job.Units[i];
                    if (unit.Done || unit.Lease is not null && unit.LeaseExpires > now) continue;
                    unit.Lease = Guid.NewGuid();
                    unit.LeaseExpires = now + lease;
                    unit.Attempts++;
                    if (job.State == JobState.Queued)
                    {
                        job.State = JobState.Running;
                        job.Started = now;
                        job.Updated = now;
                    }
                    var s = job.Spec;
                    return ValueTask.FromResult<JobUnitLease?>(new JobUnitLease(job.Id, i, unit.Lease.Value, unit.Text, unit.Sentences, s.VoiceId, s.SpeakerId,
                        s.Speed, s.Pitch, s.Volume, unit.Attempts));
                }
            }
        }
        return ValueTask.FromResult<JobUnitLease?>(null);
    }

    public ValueTask<bool> RenewAsync(JobUnitLease unit, TimeSpan lease, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (Held(unit) is not { } held) return ValueTask.FromResult(false);
            held.LeaseExpires = clock.GetUtcNow() + lease;
            return ValueTask.FromResult(true);
        }
    }

    public async ValueTask<JobRecord?> CompleteAsync(JobUnitLease unit, AudioClip audio, CancellationToken cancellationToken = default)
    {
        var file = Path.Combine(_directory.Value, $"{unit.JobId}-{unit.Index}-{unit.LeaseId:n}.pcm");
        // Straight from the samples (no byte copy of the unit's audio): fewer large allocations for the GC to move while jobs run.
        await using (var stream = new FileStream(file, FileMode.CreateNew, FileAccess.Write, FileShare.None, bufferSize: 0))
            stream.Write(MemoryMarshal.AsBytes(audio.Samples.AsSpan()));
        JobRecord record;
        lock (_lock)
        {
            if (Held(unit) is not { } held)
            {
                File.Delete(file);
                return null;
            }
            var job = _jobs[unit.JobId];
            held.Done = true;
            held.Lease = null;
            held.File = file;
            held.Samples = audio.Samples.Length;
            job.Stored += audio.Samples.Length * 2L;
            job.SampleRate ??= audio.SampleRate;
            job.Done += held.Sentences;
            job.DoneUnits++;
            job.Updated = clock.GetUtcNow();
            if (job.DoneUnits == job.Units.Count)
            {
                job.TotalSamples = job.Units.Sum(u => (long)u.Samples);
                Finish(job, JobState.Succeeded, null);
            }
            record = job.Record();
        }
        _signals.Signal(unit.JobId);
        return record;
    }

    public ValueTask ReleaseAsync(JobUnitLease unit, string error, bool fatal, CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (Held(unit) is not { } held) return ValueTask.CompletedTask;
            held.Lease = null;
            if (fatal || held.Attempts >= options.MaxAttempts)
            {
                var job = _jobs[unit.JobId];
                Finish(job, JobState.Failed, error);
                DeleteAudio(job);
            }
        }
        _signals.Signal(unit.JobId);
        _signals.Signal(JobSignals.NewWork);
        return ValueTask.CompletedTask;
    }

    public ValueTask<int> SweepAsync(CancellationToken cancellationToken = default)
    {
        var now = clock.GetUtcNow();
        var purged = new List<string>();
        lock (_lock)
        {
            foreach (var job in _order.ToList())
            {
                if (job.Purged && job.Expires + JobIds.TombstoneTime(options.Ttl) <= now)
                {
                    _order.Remove(job);
                    _jobs.Remove(job.Id);
                }
                else if (!job.Purged && job.Expires <= now)
                {
                    DeleteAudio(job);
                    job.Purged = true;
                    purged.Add(job.Id);
                }
            }
        }
        foreach (var id in purged) _signals.Signal(id);
        return ValueTask.FromResult(purged.Count);
    }

    private Unit? Held(JobUnitLease unit) =>
        _jobs.TryGetValue(unit.JobId, out var job) && job.State.IsActive() && job.Units[unit.Index] is { Done: false } u && u.Lease == unit.LeaseId ? u : null;

    private void Finish(Job job, JobState state, string? error)
    {
        var now = clock.GetUtcNow();
        job.State = state;
        job.Error = error;
        job.Updated = now;
        job.Expires = now + options.Ttl;
    }

    private static void DeleteAudio(Job job)
    {
        foreach (var unit in job.Units)
        {
            if (unit.File is { } file) File.Delete(file);
            unit.File = null;
        }
        job.Stored = 0;
    }

    public void Dispose()
    {
        if (_directory.IsValueCreated)
        {
            try { Directory.Delete(_directory.Value, recursive: true); }
            catch (IOException) { }
        }
    }
}

/// <summary>Job ids and retention shared by the stores.</summary>
public static class JobIds
{
    /// <summary>128 random bits: ids cannot be guessed.</summary>
    public static string New() => "job_" + Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));

    /// <summary>How long an expired job's record is kept after its audio is deleted, so its URLs answer 410 rather than 404.</summary>
    public static TimeSpan TombstoneTime(TimeSpan ttl) => ttl > TimeSpan.FromHours(1) ? ttl : TimeSpan.FromHours(1);
}

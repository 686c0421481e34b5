using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Npgsql;
using NpgsqlTypes;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Jobs;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// Durable jobs in PostgreSQL (<c>tts_jobs</c>, <c>tts_job_units</c>). Units are claimed with <c>FOR UPDATE SKIP LOCKED</c>
/// under a lease; a unit's audio is stored only by its current lease holder and the job row is locked while a unit
/// finishes, so each unit is produced once and the final state is set once. Changes are announced on NOTIFY
/// <c>tts_jobs</c> (payload: the job id, or empty for new work).
/// </summary>
public sealed class PostgresJobStore : IJobStore, IJobQueue
{
    public const string Channel = "tts_jobs";
    private const string Columns = "id, state, voice, response_format, done_sentences, total_sentences, created_at, updated_at, started_at, expires_at, error, sample_rate, total_samples, purged, owner";
    private const string Active = "('queued', 'running')";
    private const int AudioBatch = 8;
    /// <summary>Serialises submissions' budget decisions (transaction-scoped advisory lock).</summary>
    private const long StorageLockKey = 7405010;
    /// <summary>Jobs holding storage (the predicate of the index <c>tts_jobs_holding</c>).</summary>
    private const string Holding = $"NOT purged AND (state IN {Active} OR stored_bytes > 0)";
    /// <summary>What one job holds: its stored PCM, plus the expected rest while it is queued or running.</summary>
    private const string HeldBytes = $"stored_bytes + CASE WHEN state IN {Active} THEN estimated_bytes * (total_sentences - done_sentences) / greatest(total_sentences, 1) ELSE 0 END";

    private readonly PostgresStore _store;
    private readonly JobOptions _options;
    private readonly JobPlanner _planner;
    private readonly JobStorageBudget _budget;
    private readonly JobSignals _signals = new();

    public PostgresJobStore(PostgresStore store, PostgresNotifications notifications, JobOptions options, JobPlanner planner)
    {
        _store = store;
        _options = options;
        _planner = planner;
        _budget = new JobStorageBudget(options);
        notifications.Subscribe(Channel, _signals.Signal);
    }

    public bool Durable => true;

    public async ValueTask<JobRecord> CreateAsync(JobSpec spec, CancellationToken cancellationToken = default)
    {
        var units = _planner.Plan(spec.Input);
        var estimate = JobStorageBudget.Estimate(spec);
        var id = JobIds.New();
        return await _store.RunAsync(async (connection, ct) =>
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            // One submission at a time decides against the limits, so two frontends never both take the last place or space.
            int queued;
            long used, ownerUsed;
            await using (var usage = new NpgsqlCommand($"""
                SELECT pg_advisory_xact_lock({StorageLockKey});
                SELECT count(*) FILTER (WHERE state = 'queued')::int, coalesce(sum({HeldBytes}), 0)::bigint,
                       coalesce(sum({HeldBytes}) FILTER (WHERE owner = @owner), 0)::bigint
                FROM tts_jobs WHERE {Holding}
                """, connection, tx))
            {
                usage.Parameters.Add(new NpgsqlParameter("owner", NpgsqlDbType.Text) { Value = (object?)spec.Owner ?? DBNull.Value });
                await using var reader = await usage.ExecuteReaderAsync(ct);
                await reader.NextResultAsync(ct);
                await reader.ReadAsync(ct);
                (queued, used, ownerUsed) = (reader.GetInt32(0), reader.GetInt64(1), reader.GetInt64(2));
            }
            if (queued >= _options.MaxQueuedJobs) throw new JobBacklogFullException(queued, _options.MaxQueuedJobs, TimeSpan.FromSeconds(30));
            if (_budget.Check(spec, estimate, used, ownerUsed) is { } overflow)
                throw _budget.Refuse(overflow, await HeldAsync(connection, tx, overflow.ClientShare ? spec.Owner : null, overflow.Excess, ct), DateTimeOffset.UtcNow);
            await using (var insert = new NpgsqlCommand("""
                INSERT INTO tts_jobs (id, state, voice, voice_id, speaker_id, response_format, speed, pitch, volume, total_units, total_sentences, owner, estimated_bytes)
                VALUES (@id, 'queued', @voice, @voiceId, @speaker, @format, @speed, @pitch, @volume, @units, @sentences, @owner, @estimate);
                INSERT INTO tts_job_units (job_id, idx, text, sentences)
                SELECT @id, u.idx - 1, u.text, u.sentences FROM unnest(@texts, @counts) WITH ORDINALITY AS u(text, sentences, idx);
                """, connection, tx))
            {
                insert.Parameters.AddWithValue("id", id);
                insert.Parameters.AddWithValue("voice", spec.Voice);
                insert.Parameters.AddWithValue("voiceId", spec.VoiceId);
                insert.Parameters.Add(new NpgsqlParameter("speaker", NpgsqlDbType.Text) { Value = (object?)spec.SpeakerId ?? DBNull.Value });
                insert.Parameters.AddWithValue("format", spec.ResponseFormat);
                insert.Parameters.Add(new NpgsqlParameter("owner", NpgsqlDbType.Text) { Value = (object?)spec.Owner ?? DBNull.Value });
                insert.Parameters.AddWithValue("speed", spec.Speed);
                insert.Parameters.AddWithValue("pitch", spec.Pitch);
                insert.Parameters.AddWithValue("volume", spec.Volume);
                insert.Parameters.AddWithValue("estimate", estimate);
                insert.Parameters.AddWithValue("units", units.Count);
                insert.Parameters.AddWithValue("sentences", units.Sum(u => u.Sentences));
                insert.Parameters.AddWithValue("texts", units.Select(u => u.Text).ToArray());
                insert.Parameters.AddWithValue("counts", units.Select(u => u.Sentences).ToArray());
                await insert.ExecuteNonQueryAsync(ct);
            }
            await Notify(connection, tx, "", ct);
            await tx.CommitAsync(ct);
            return (await ReadRecord(connection, id, ct))!;
        }, cancellationToken);
    }

    /// <summary>
    /// The finished results (all, or one key's) that must expire, soonest first, to free <paramref name="excess"/> bytes; the
    /// running sum stops the list there.
    /// </summary>
    private static async Task<IReadOnlyList<HeldResult>> HeldAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string? owner, long excess, CancellationToken ct)
    {
        await using var select = new NpgsqlCommand($"""
            SELECT expires_at, stored_bytes FROM (
                SELECT expires_at, stored_bytes, sum(stored_bytes) OVER (ORDER BY expires_at, id) - stored_bytes AS before
                FROM tts_jobs WHERE {Holding} AND state NOT IN {Active} AND expires_at IS NOT NULL AND (@owner::text IS NULL OR owner = @owner)) held
            WHERE before < @excess ORDER BY expires_at
            """, connection, tx);
        select.Parameters.Add(new NpgsqlParameter("owner", NpgsqlDbType.Text) { Value = (object?)owner ?? DBNull.Value });
        select.Parameters.AddWithValue("excess", excess);
        var held = new List<HeldResult>();
        await using var reader = await select.ExecuteReaderAsync(ct);
        while (await reader.ReadAsync(ct)) held.Add(new HeldResult(new DateTimeOffset(reader.GetDateTime(0), TimeSpan.Zero), reader.GetInt64(1)));
        return held;
    }

    public async ValueTask<JobRecord?> GetAsync(string id, CancellationToken cancellationToken = default) =>
        await _store.RunAsync((connection, ct) => ReadRecord(connection, id, ct), cancellationToken);

    public async ValueTask<JobRecord?> CancelAsync(string id, CancellationToken cancellationToken = default) =>
        await _store.RunAsync(async (connection, ct) =>
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            if (await Finish(connection, tx, id, "cancelled", null, ct)) await Notify(connection, tx, id, ct);
            await tx.CommitAsync(ct);
            return await ReadRecord(connection, id, ct);
        }, cancellationToken);

    public async IAsyncEnumerable<JobAudioPart> ReadAudioAsync(string id, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var job = await GetAsync(id, cancellationToken);
        if (job is not { State: JobState.Succeeded, Purged: false, SampleRate: { } rate }) yield break;
        var next = 0;
        while (true)
        {
            // A few units per query: the connection is not held while a slow client reads.
            var batch = await _store.RunAsync(async (connection, ct) =>
            {
                var parts = new List<JobAudioPart>(AudioBatch);
                await using var select = new NpgsqlCommand("SELECT idx, pcm FROM tts_job_units WHERE job_id = @id AND idx >= @from AND state = 'done' ORDER BY idx LIMIT @n", connection);
                select.Parameters.AddWithValue("id", id);
                select.Parameters.AddWithValue("from", next);
                select.Parameters.AddWithValue("n", AudioBatch);
                await using var reader = await select.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                    parts.Add(new JobAudioPart(reader.GetInt32(0), new AudioClip(rate, MemoryMarshal.Cast<byte, short>(reader.GetFieldValue<byte[]>(1)).ToArray())));
                return parts;
            }, cancellationToken);
            foreach (var part in batch)
            {
                if (part.Index != next) yield break; // purged meanwhile: stop rather than skip audio
                next++;
                yield return part;
            }
            if (batch.Count < AudioBatch) yield break;
        }
    }

    public Task WaitForChangeAsync(string id, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _signals.WaitAsync(id, timeout, cancellationToken);

    public Task WaitForWorkAsync(TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _signals.WaitAsync(JobSignals.NewWork, timeout, cancellationToken);

    public async ValueTask<JobBacklog> GetBacklogAsync(CancellationToken cancellationToken = default) =>
        await _store.RunAsync(async (connection, ct) =>
        {
            await using var select = new NpgsqlCommand($"""
                SELECT count(*) FILTER (WHERE state = 'queued')::int, count(*) FILTER (WHERE state = 'running')::int,
                       coalesce(sum(total_units - done_units) FILTER (WHERE state IN {Active}), 0)::int,
                       coalesce(sum(stored_bytes), 0)::bigint, coalesce(sum({HeldBytes} - stored_bytes), 0)::bigint
                FROM tts_jobs WHERE {Holding}
                """, connection);
            await using var reader = await select.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            return new JobBacklog(reader.GetInt32(0), reader.GetInt32(1), reader.GetInt32(2), reader.GetInt64(3), reader.GetInt64(4));
        }, cancellationToken);

    public async ValueTask<JobUnitLease?> TryClaimAsync(string siloId, TimeSpan lease, CancellationToken cancellationToken = default) =>
        await _store.RunAsync(async (connection, ct) =>
        {
            await using var claim = new NpgsqlCommand($"""
                WITH next AS (
                    SELECT u.job_id, u.idx FROM tts_job_units u JOIN tts_jobs j ON j.id = u.job_id
                    WHERE j.state IN {Active} AND u.state <> 'done'
                      AND (u.state = 'pending' OR u.lease_expires_at < now()
                           OR u.owner IN (SELECT id FROM silos WHERE status IN ('dead', 'stopped')))
                    ORDER BY j.created_at, u.job_id, u.idx
                    LIMIT 1
                    FOR UPDATE OF u SKIP LOCKED),
                claimed AS (
                    UPDATE tts_job_units u SET state = 'running', owner = @silo, lease_id = @lease,
                        lease_expires_at = now() + make_interval(secs => @seconds), attempts = u.attempts + 1
                    FROM next WHERE u.job_id = next.job_id AND u.idx = next.idx
                    RETURNING u.job_id, u.idx, u.text, u.sentences, u.attempts),
                started AS (
                    UPDATE tts_jobs j SET state = 'running', started_at = coalesce(j.started_at, now()), updated_at = now()
                    FROM claimed WHERE j.id = claimed.job_id AND j.state = 'queued')
                SELECT c.job_id, c.idx, c.text, c.sentences, c.attempts, j.voice_id, j.speaker_id, j.speed, j.pitch, j.volume
                FROM claimed c JOIN tts_jobs j ON j.id = c.job_id
                """, connection);
            var leaseId = Guid.NewGuid();
            claim.Parameters.AddWithValue("silo", siloId);
            claim.Parameters.AddWithValue("lease", leaseId);
            claim.Parameters.AddWithValue("seconds", lease.TotalSeconds);
            await using var reader = await claim.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct)) return null;
            return new JobUnitLease(reader.GetString(0), reader.GetInt32(1), leaseId, reader.GetString(2), reader.GetInt32(3),
                reader.GetString(5), reader.IsDBNull(6) ? null : reader.GetString(6), reader.GetDouble(7), reader.GetDouble(8), reader.GetDouble(9), reader.GetInt32(4));
        }, cancellationToken);

    public async ValueTask<bool> RenewAsync(JobUnitLease unit, TimeSpan lease, CancellationToken cancellationToken = default) =>
        await _store.RunAsync(async (connection, ct) =>
        {
            await using var renew = new NpgsqlCommand($"""
                UPDATE tts_job_units u SET lease_expires_at = now() + make_interval(secs => @seconds)
                FROM tts_jobs j
                WHERE j.id = u.job_id AND u.job_id = @job AND u.idx = @idx AND u.lease_id = @lease AND u.state = 'running' AND j.state IN {Active}
                """, connection);
            AddUnit(renew, unit);
            renew.Parameters.AddWithValue("seconds", lease.TotalSeconds);
            return await renew.ExecuteNonQueryAsync(ct) == 1;
        }, cancellationToken);

    public async ValueTask<JobRecord?> CompleteAsync(JobUnitLease unit, AudioClip audio, CancellationToken cancellationToken = default) =>
        await _store.RunAsync(async (connection, ct) =>
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            // The job row lock serialises the units of one job finishing, so exactly one of them sees the last unit done.
            await using (var lockJob = new NpgsqlCommand($"SELECT 1 FROM tts_jobs WHERE id = @job AND state IN {Active} FOR UPDATE", connection, tx))
            {
                lockJob.Parameters.AddWithValue("job", unit.JobId);
                if (await lockJob.ExecuteScalarAsync(ct) is null) return null;
            }
            await using (var store = new NpgsqlCommand("""
                UPDATE tts_job_units SET state = 'done', pcm = @pcm, samples = @samples, productions = productions + 1, done_at = now(),
                    lease_id = NULL, lease_expires_at = NULL
                WHERE job_id = @job AND idx = @idx AND lease_id = @lease AND state = 'running'
                """, connection, tx))
            {
                AddUnit(store, unit);
                store.Parameters.AddWithValue("pcm", MemoryMarshal.AsBytes(audio.Samples.AsSpan()).ToArray());
                store.Parameters.AddWithValue("samples", audio.Samples.Length);
                if (await store.ExecuteNonQueryAsync(ct) != 1) return null;
            }
            await using (var progress = new NpgsqlCommand("""
                UPDATE tts_jobs SET done_units = done_units + 1, done_sentences = done_sentences + @sentences, updated_at = now(),
                    sample_rate = coalesce(sample_rate, @rate), total_samples = coalesce(total_samples, 0) + @samples,
                    stored_bytes = stored_bytes + 2 * @samples,
                    state = CASE WHEN done_units + 1 = total_units THEN 'succeeded' ELSE state END,
                    finished_at = CASE WHEN done_units + 1 = total_units THEN now() END,
                    expires_at = CASE WHEN done_units + 1 = total_units THEN now() + make_interval(secs => @ttl) END
                WHERE id = @job
                """, connection, tx))
            {
                progress.Parameters.AddWithValue("job", unit.JobId);
                progress.Parameters.AddWithValue("sentences", unit.Sentences);
                progress.Parameters.AddWithValue("rate", audio.SampleRate);
                progress.Parameters.AddWithValue("samples", (long)audio.Samples.Length);
                progress.Parameters.AddWithValue("ttl", _options.Ttl.TotalSeconds);
                await progress.ExecuteNonQueryAsync(ct);
            }
            await Notify(connection, tx, unit.JobId, ct);
            await tx.CommitAsync(ct);
            return await ReadRecord(connection, unit.JobId, ct);
        }, cancellationToken);

    public async ValueTask ReleaseAsync(JobUnitLease unit, string error, bool fatal, CancellationToken cancellationToken = default) =>
        await _store.RunAsync(async (connection, ct) =>
        {
            await using var tx = await connection.BeginTransactionAsync(ct);
            int? attempts;
            await using (var release = new NpgsqlCommand("""
                UPDATE tts_job_units SET state = 'pending', owner = NULL, lease_id = NULL, lease_expires_at = NULL
                WHERE job_id = @job AND idx = @idx AND lease_id = @lease AND state = 'running' RETURNING attempts
                """, connection, tx))
            {
                AddUnit(release, unit);
                attempts = (int?)await release.ExecuteScalarAsync(ct);
            }
            if (attempts is null) return;
            if (fatal || attempts >= _options.MaxAttempts) await Finish(connection, tx, unit.JobId, "failed", error, ct);
            await Notify(connection, tx, unit.JobId, ct);
            await Notify(connection, tx, "", ct);
            await tx.CommitAsync(ct);
        }, cancellationToken);

    public async ValueTask<int> SweepAsync(CancellationToken cancellationToken = default) =>
        await _store.RunAsync(async (connection, ct) =>
        {
            await using var sweep = new NpgsqlCommand("""
                WITH purged AS (UPDATE tts_jobs SET purged = true, stored_bytes = 0 WHERE NOT purged AND expires_at <= now() RETURNING id),
                audio AS (DELETE FROM tts_job_units WHERE job_id IN (SELECT id FROM purged)),
                forgotten AS (DELETE FROM tts_jobs WHERE purged AND expires_at <= now() - make_interval(secs => @tombstone))
                SELECT count(*)::int, coalesce(string_agg(id, ','), '') FROM purged
                """, connection);
            sweep.Parameters.AddWithValue("tombstone", JobIds.TombstoneTime(_options.Ttl).TotalSeconds);
            await using var reader = await sweep.ExecuteReaderAsync(ct);
            await reader.ReadAsync(ct);
            var count = reader.GetInt32(0);
            foreach (var id in reader.GetString(1).Split(',', StringSplitOptions.RemoveEmptyEntries)) _signals.Signal(id);
            return count;
        }, cancellationToken);

    /// <summary>Sets a final state once (only from queued or running) and deletes the units' audio.</summary>
    private async Task<bool> Finish(NpgsqlConnection connection, NpgsqlTransaction tx, string id, string state, string? error, CancellationToken ct)
    {
        await using var finish = new NpgsqlCommand($"""
            WITH done AS (
                UPDATE tts_jobs SET state = @state, error = @error, updated_at = now(), finished_at = now(), stored_bytes = 0,
                    expires_at = now() + make_interval(secs => @ttl)
                WHERE id = @id AND state IN {Active} RETURNING id),
            audio AS (DELETE FROM tts_job_units WHERE job_id IN (SELECT id FROM done))
            SELECT count(*)::int FROM done
            """, connection, tx);
        finish.Parameters.AddWithValue("id", id);
        finish.Parameters.AddWithValue("state", state);
        finish.Parameters.Add(new NpgsqlParameter("error", NpgsqlDbType.Text) { Value = (object?)error ?? DBNull.Value });
        finish.Parameters.AddWithValue("ttl", _options.Ttl.TotalSeconds);
        return (int)(await finish.ExecuteScalarAsync(ct))! == 1;
    }

    private static async Task Notify(NpgsqlConnection connection, NpgsqlTransaction tx, string payload, CancellationToken ct)
    {
        await using var notify = new NpgsqlCommand("SELECT pg_notify(@channel, @payload)", connection, tx);
        notify.Parameters.AddWithValue("channel", Channel);
        notify.Parameters.AddWithValue("payload", payload);
        await notify.ExecuteNonQueryAsync(ct);
    }

    private static void AddUnit(NpgsqlCommand command, JobUnitLease unit)
    {
        command.Parameters.AddWithValue("job", unit.JobId);
        command.Parameters.AddWithValue("idx", unit.Index);
        command.Parameters.AddWithValue("lease", unit.LeaseId);
    }

    private static async Task<JobRecord?> ReadRecord(NpgsqlConnection connection, string id, CancellationToken ct)
    {
        await using var select = new NpgsqlCommand($"SELECT {Columns} FROM tts_jobs WHERE id = @id", connection);
        select.Parameters.AddWithValue("id", id);
        await using var reader = await select.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct)) return null;
        DateTimeOffset? At(int i) => reader.IsDBNull(i) ? null : new DateTimeOffset(reader.GetDateTime(i), TimeSpan.Zero);
        return new JobRecord(reader.GetString(0), JobStates.Parse(reader.GetString(1)), reader.GetString(2), reader.GetString(3),
            reader.GetInt32(4), reader.GetInt32(5), At(6)!.Value, At(7)!.Value, At(8), At(9), reader.IsDBNull(10) ? null : reader.GetString(10),
            reader.IsDBNull(11) ? null : reader.GetInt32(11), reader.IsDBNull(12) ? null : reader.GetInt64(12), reader.GetBoolean(13),
            reader.IsDBNull(14) ? null : reader.GetString(14));
    }
}

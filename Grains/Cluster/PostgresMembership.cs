using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using NpgsqlTypes;
using Orleans.Tts.Admission;
using Orleans.Tts.Cluster;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>
/// Membership in PostgreSQL: the silo upserts its row (address, version, capacity, load, status) every
/// heartbeat, renews the leases it holds, and sweeps: silos silent for longer than TTS_DEAD_SILO_SECONDS
/// are declared dead and their permits and pending cache rows deleted — by whichever live silo notices first, except by
/// one that regained PostgreSQL less than TTS_DEAD_SILO_SECONDS ago (the others' heartbeats are then only as old as the outage).
/// With a host <paramref name="lifetime"/>, the silo registers only once the host has started (its endpoints listen): a row
/// written earlier would make frontends route sentences to a port that refuses them and count its capacity in the
/// cluster's admission limit before it can serve.
/// </summary>
public sealed class PostgresMembership(
    PostgresStore store, ClusterOptions options, ClusterLoad load, SiloActivity activity, ISynthesisWorker worker,
    IAdmissionGrain admission, ILogger<PostgresMembership> logger, IHostApplicationLifetime? lifetime = null)
    : BackgroundService, IClusterMembership, IMembershipLifecycle
{
    private volatile bool _left;
    private volatile bool _announced;
    // Stopwatch timestamp before which this process declares no other silo dead: after PostgreSQL comes back, every
    // heartbeat in the table is as old as the outage, and the others need a heartbeat interval to re-register.
    private long _sweepFrom;
    public SiloIdentity Self => options.Self;


    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await store.StartAsync(cancellationToken);
        store.Regained += async ct =>
        {
            logger.LogInformation("Silo {Silo} re-registering after PostgreSQL came back", Self.Id);
            Volatile.Write(ref _sweepFrom, System.Diagnostics.Stopwatch.GetTimestamp() + (long)(options.DeadAfter.TotalSeconds * System.Diagnostics.Stopwatch.Frequency));
            if (_announced) await HeartbeatAsync(ct);
        };
        if (lifetime is null) await AnnounceAsync(cancellationToken);
        else lifetime.ApplicationStarted.Register(() => _ = AnnounceAsync(CancellationToken.None));
        await base.StartAsync(cancellationToken);
    }

    /// <summary>The first heartbeat: from now on the silo is in the membership table and routable.</summary>
    private async Task AnnounceAsync(CancellationToken ct)
    {
        _announced = true;
        if (!store.Available || _left) return;
        try
        {
            await HeartbeatAsync(ct);
            logger.LogInformation("Silo {Silo} joined the cluster at {Address} (capacity {Capacity})", Self.Id, Self.Address, Self.Capacity);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            logger.LogWarning("Silo {Silo} could not register yet ({Error}); its next heartbeat will", Self.Id, e.GetBaseException().Message);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.HeartbeatInterval);
        while (true)
        {
            try { if (!await timer.WaitForNextTickAsync(stoppingToken)) return; }
            catch (OperationCanceledException) { return; }
            if (_left || !_announced || !store.Available) continue;
            try { await HeartbeatAsync(stoppingToken); }
            catch (StorageUnavailableException) { }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) { logger.LogWarning(e, "Heartbeat of silo {Silo} failed", Self.Id); }
        }
    }

    private string LocalStatus => activity.Draining ? "draining" : "active";

    /// <summary>Upsert self, renew own leases (dropping stale ones), declare silent silos dead and release what they held.</summary>
    public Task HeartbeatAsync(CancellationToken ct) => store.RunAsync(async (connection, token) =>
    {
        var permits = load.PermitLeases.Keys.ToArray();
        var stalePermits = load.StalePermits.Keys.ToArray();
        var pending = load.PendingKeys.Keys.ToArray();
        var batch = new NpgsqlBatch(connection);
        await using (batch)
        {
            var upsert = new NpgsqlBatchCommand("""
                INSERT INTO silos (id, address, version, capacity, load, queued, status, internal_address)
                VALUES (@id, @address, @version, @capacity, @load, @queued, @status, @internal)
                ON CONFLICT (id) DO UPDATE SET address = excluded.address, internal_address = excluded.internal_address, version = excluded.version, capacity = excluded.capacity,
                    load = excluded.load, queued = excluded.queued, heartbeat_at = now(),
                    status_changed_at = CASE WHEN silos.status = excluded.status THEN silos.status_changed_at ELSE now() END,
                    status = excluded.status
                RETURNING (xmax <> 0) AS existed
                """);
            upsert.Parameters.AddWithValue("id", Self.Id);
            upsert.Parameters.AddWithValue("address", Self.Address);
            upsert.Parameters.AddWithValue("version", Self.Version);
            upsert.Parameters.AddWithValue("capacity", Self.Capacity);
            upsert.Parameters.AddWithValue("load", worker.Status.Running);
            upsert.Parameters.AddWithValue("queued", load.QueuedHere);
            upsert.Parameters.AddWithValue("status", LocalStatus);
            upsert.Parameters.Add(new NpgsqlParameter("internal", NpgsqlDbType.Text) { Value = (object?)options.InternalAddress ?? DBNull.Value });
            batch.BatchCommands.Add(upsert);

            var lease = Lease(options.DeadAfter);
            var renew = new NpgsqlBatchCommand("""
                UPDATE admission_permits SET expires_at = now() + make_interval(secs => @lease) WHERE silo_id = @id AND id = ANY(@permits);
                """);
            renew.Parameters.AddWithValue("lease", lease);
            renew.Parameters.AddWithValue("id", Self.Id);
            renew.Parameters.Add(new NpgsqlParameter("permits", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = permits });
            batch.BatchCommands.Add(renew);
            // Only rows known to be stale: "every row of this silo not in the snapshot above" would also delete a permit
            // granted after the snapshot was taken, and let the cluster exceed its limit.
            var stale = new NpgsqlBatchCommand("DELETE FROM admission_permits WHERE silo_id = @id AND id = ANY(@stale)");
            stale.Parameters.AddWithValue("id", Self.Id);
            stale.Parameters.Add(new NpgsqlParameter("stale", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = stalePermits });
            batch.BatchCommands.Add(stale);
            var renewPending = new NpgsqlBatchCommand("UPDATE result_cache_pending SET expires_at = now() + make_interval(secs => @lease) WHERE silo_id = @id AND key = ANY(@keys)");
            renewPending.Parameters.AddWithValue("lease", lease);
            renewPending.Parameters.AddWithValue("id", Self.Id);
            renewPending.Parameters.Add(new NpgsqlParameter("keys", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = pending });
            batch.BatchCommands.Add(renewPending);

            var sweep = new NpgsqlBatchCommand("""
                WITH dead AS (
                    UPDATE silos SET status = 'dead', status_changed_at = now()
                    WHERE @sweep AND status IN ('active', 'draining') AND heartbeat_at < now() - make_interval(secs => @dead)
                    RETURNING id),
                permits AS (DELETE FROM admission_permits WHERE silo_id IN (SELECT id FROM dead) RETURNING silo_id),
                pending AS (DELETE FROM result_cache_pending WHERE silo_id IN (SELECT id FROM dead) OR expires_at < now() RETURNING silo_id),
                forgotten AS (DELETE FROM silos WHERE status IN ('dead', 'stopped') AND status_changed_at < now() - interval '1 hour')
                SELECT d.id, (SELECT count(*) FROM permits p WHERE p.silo_id = d.id)::int,
                       (SELECT count(*) FROM pending q WHERE q.silo_id = d.id)::int,
                       pg_notify('tts_permits', '')
                FROM dead d
                """);
            sweep.Parameters.AddWithValue("dead", options.DeadAfter.TotalSeconds);
            sweep.Parameters.AddWithValue("sweep", System.Diagnostics.Stopwatch.GetTimestamp() >= Volatile.Read(ref _sweepFrom));
            batch.BatchCommands.Add(sweep);
            var others = new NpgsqlBatchCommand("SELECT coalesce(sum(queued), 0)::int FROM silos WHERE status IN ('active', 'draining') AND id <> @id");
            others.Parameters.AddWithValue("id", Self.Id);
            batch.BatchCommands.Add(others);

            await using var reader = await batch.ExecuteReaderAsync(token);
            var existed = await reader.ReadAsync(token) && reader.GetBoolean(0);
            await reader.NextResultAsync(token); // renew
            await reader.NextResultAsync(token); // stale
            await reader.NextResultAsync(token); // renew pending
            await reader.NextResultAsync(token); // sweep
            while (await reader.ReadAsync(token))
                logger.LogWarning("Silo {Dead} declared dead by {Silo} (no heartbeat for {Seconds} s): released {Permits} permits and {Pending} pending cache entries",
                    reader.GetString(0), Self.Id, options.DeadAfter.TotalSeconds, reader.GetInt32(1), reader.GetInt32(2));
            await reader.NextResultAsync(token);
            if (await reader.ReadAsync(token)) load.QueuedElsewhere = reader.GetInt32(0);
            foreach (var id in stalePermits) load.StalePermits.TryRemove(id, out _);
            if (!existed) logger.LogInformation("Silo {Silo} registered in the cluster", Self.Id);
        }
    }, ct);

    private static double Lease(TimeSpan deadAfter) => Math.Max(deadAfter.TotalSeconds, 1);

    public async ValueTask<ClusterView> GetViewAsync(CancellationToken cancellationToken = default)
    {
        var status = admission.Status;
        try
        {
            return await store.RunAsync(async (connection, ct) =>
            {
                var members = new List<SiloMember>();
                await using var batch = new NpgsqlBatch(connection)
                {
                    BatchCommands =
                    {
                        new("SELECT id, address, version, capacity, load, queued, status, heartbeat_at FROM silos WHERE status IN ('active', 'draining') OR status_changed_at > now() - interval '10 minutes' ORDER BY started_at, id"),
                        new("SELECT count(*)::int FROM admission_permits"),
                    },
                };
                await using var reader = await batch.ExecuteReaderAsync(ct);
                while (await reader.ReadAsync(ct))
                {
                    var id = reader.GetString(0);
                    var self = id == Self.Id;
                    members.Add(new SiloMember(id, reader.GetString(1), reader.GetString(2), reader.GetInt32(3),
                        self ? worker.Status.Running : reader.GetInt32(4), self ? load.QueuedHere : reader.GetInt32(5),
                        reader.GetString(6), new DateTimeOffset(reader.GetDateTime(7), TimeSpan.Zero), self));
                }
                await reader.NextResultAsync(ct);
                var inUse = await reader.ReadAsync(ct) ? reader.GetInt32(0) : 0;
                var limit = status.Limit > 0 ? status.Limit : members.Where(m => m.Status == "active").Sum(m => m.Capacity);
                return new ClusterView("postgres", store.State, members, limit, inUse);
            }, cancellationToken);
        }
        catch (StorageUnavailableException)
        {
            var self = new SiloMember(Self.Id, Self.Address, Self.Version, Self.Capacity, worker.Status.Running, load.QueuedHere, LocalStatus, DateTimeOffset.UtcNow, true);
            return new ClusterView("postgres", store.State, [self], status.Limit, status.InUse);
        }
    }

    public async Task MarkDrainingAsync(CancellationToken ct)
    {
        if (store.Available && _announced) await HeartbeatAsync(ct);
    }

    public async Task LeaveAsync(CancellationToken ct)
    {
        _left = true;
        if (!store.Available) return;
        await store.RunAsync(async (connection, token) =>
        {
            await using var command = new NpgsqlCommand("""
                DELETE FROM admission_permits WHERE silo_id = @id;
                DELETE FROM result_cache_pending WHERE silo_id = @id;
                UPDATE silos SET status = 'stopped', status_changed_at = now(), load = 0, queued = 0 WHERE id = @id;
                SELECT pg_notify('tts_permits', '');
                """, connection);
            command.Parameters.AddWithValue("id", Self.Id);
            await command.ExecuteNonQueryAsync(token);
        }, ct);
    }
}

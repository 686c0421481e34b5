using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Tts.Cluster;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Admission;

/// <summary>
/// Cluster-wide admission over PostgreSQL: a permit is a lease row inserted by <c>tts_acquire_permit</c>
/// under a transaction-scoped advisory lock (one round trip), so the global limit and the client share
/// hold at every instant across silos. Releases NOTIFY <c>tts_permits</c>, which wakes waiters on every silo.
/// When PostgreSQL is unreachable the process admits against what it can reach (<c>X-Tts-Degraded: local-admission</c>):
/// a silo its own capacity, a frontend (which has a <paramref name="directory"/> and no engines) the capacities of the
/// silos it last read, bounded by TTS_GLOBAL_MAX_INFLIGHT when that is set.
/// </summary>
public sealed class PostgresAdmissionGrain : AdmissionGrainBase
{
    private readonly PostgresStore _store;
    private readonly ClusterOptions _cluster;
    private readonly InMemoryAdmissionGrain _local;
    private readonly ILogger<PostgresAdmissionGrain> _logger;

    public PostgresAdmissionGrain(PostgresStore store, PostgresNotifications notifications, AdmissionOptions options, ClusterOptions cluster,
        ClusterLoad load, ILogger<PostgresAdmissionGrain> logger, TtsMetrics? metrics = null, ISiloDirectory? directory = null) : base(options, load, metrics)
    {
        _store = store;
        _cluster = cluster;
        _logger = logger;
        // The fallback counts against what this process reaches only; its load counters are its own.
        Func<int>? reachable = directory is null ? null : () => Math.Min(options.GlobalMaxInflight ?? int.MaxValue, directory.Gateways.Sum(g => g.Capacity));
        _local = new InMemoryAdmissionGrain(new AdmissionOptions
        {
            LocalCapacity = options.LocalCapacity, ClientMaxShare = options.ClientMaxShare,
        }, new ClusterLoad(), "local-fallback", capacity: reachable);
        notifications.Subscribe("tts_permits", _ => Pulse());
    }

    protected override string Backend => _store.Available ? "postgres" : "local-fallback";
    protected override string? DegradationOf(object handle) => handle is LocalLease ? "local-admission" : null;

    private sealed record Lease(Guid Id);
    private sealed record LocalLease(object Handle);

    protected override async ValueTask<Attempt> TryAcquireAsync(string clientId, CancellationToken ct)
    {
        if (_store.Available)
        {
            var id = Guid.CreateVersion7();
            Load.PermitLeases[id] = 0;
            try
            {
                var attempt = await _store.RunAsync(async (connection, token) =>
                {
                    await using var command = new NpgsqlCommand("SELECT granted, in_use, client_in_use, effective_limit FROM tts_acquire_permit(@id, @silo, @client, @limit, @share, @lease)", connection);
                    command.Parameters.AddWithValue("id", id);
                    command.Parameters.AddWithValue("silo", _cluster.Self.Id);
                    command.Parameters.AddWithValue("client", clientId);
                    command.Parameters.AddWithValue("limit", Options.GlobalMaxInflight ?? 0);
                    command.Parameters.AddWithValue("share", Options.ClientMaxShare);
                    command.Parameters.AddWithValue("lease", Math.Max(1, _cluster.DeadAfter.TotalSeconds));
                    await using var reader = await command.ExecuteReaderAsync(token);
                    await reader.ReadAsync(token);
                    return new Attempt(reader.GetBoolean(0) ? new Lease(id) : null, reader.GetInt32(3), reader.GetInt32(1), reader.GetInt32(2));
                }, ct);
                if (attempt.Handle is null) Load.PermitLeases.TryRemove(id, out _);
                Observed(attempt.Limit, attempt.InUse);
                return attempt;
            }
            catch (Exception e)
            {
                // Not granted as far as we know (cancelled, or the store went away mid-call): if the row was written
                // anyway, the next heartbeat deletes it.
                Load.PermitLeases.TryRemove(id, out _);
                Load.StalePermits[id] = 0;
                if (e is not StorageUnavailableException) throw;
                // Fall through to local admission; the store reconnects in the background.
            }
        }
        var local = await LocalTryAcquireAsync(clientId, ct);
        return local.Handle is null ? local : local with { Handle = new LocalLease(local.Handle) };
    }

    private ValueTask<Attempt> LocalTryAcquireAsync(string clientId, CancellationToken ct) => _local.TryAcquireForFallbackAsync(clientId, ct);

    protected override async ValueTask ReleaseAsync(object handle)
    {
        switch (handle)
        {
            case LocalLease local:
                await _local.ReleaseForFallbackAsync(local.Handle);
                break;
            case Lease lease:
                Load.PermitLeases.TryRemove(lease.Id, out _);
                if (!_store.Available)
                {
                    Load.StalePermits[lease.Id] = 0; // deleted by the first heartbeat that reaches PostgreSQL
                    return;
                }
                try
                {
                    await _store.RunAsync(async (connection, token) =>
                    {
                        await using var command = new NpgsqlCommand("SELECT tts_release_permit(@id)", connection);
                        command.Parameters.AddWithValue("id", lease.Id);
                        await command.ExecuteNonQueryAsync(token);
                    }, CancellationToken.None);
                }
                catch (StorageUnavailableException e)
                {
                    Load.StalePermits[lease.Id] = 0;
                    _logger.LogDebug(e, "Permit {Permit} not released now; the next heartbeat drops it", lease.Id);
                }
                break;
        }
    }
}

using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Tts.Cluster;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>
/// The cluster's PostgreSQL: a data source plus its availability. When a call fails for a
/// connection reason the store is marked unavailable (callers fall back to local state at once,
/// without waiting for timeouts) and a background loop reconnects, re-applies migrations and
/// raises <see cref="Regained"/>.
/// </summary>
public sealed class PostgresStore(NpgsqlDataSource dataSource, TtsClusterOptions options, ILogger<PostgresStore> logger) : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private volatile bool _available;
    private volatile string _state = "connecting";
    private int _reconnecting;

    public NpgsqlDataSource DataSource => dataSource;
    public bool Available => _available;
    /// <summary><c>available</c> or <c>unavailable: reason</c>.</summary>
    public string State => _available ? "available" : _state;

    /// <summary>Raised (on a pool thread) each time PostgreSQL is reachable again after a loss.</summary>
    public event Func<CancellationToken, Task>? Regained;

    /// <summary>Connects and applies migrations; on failure the silo starts degraded and keeps retrying.</summary>
    public async Task StartAsync(CancellationToken ct)
    {
        try
        {
            await SchemaMigrator.MigrateAsync(dataSource, logger, ct);
            _available = true;
            logger.LogInformation("PostgreSQL available; schema up to date");
        }
        catch (Exception e) when (IsConnectionFailure(e))
        {
            MarkLost(e);
        }
    }

    public async Task<T> RunAsync<T>(Func<NpgsqlConnection, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        if (!_available) throw Unavailable(null);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(ct);
            return await work(connection, ct);
        }
        catch (Exception e) when (IsConnectionFailure(e) && !ct.IsCancellationRequested)
        {
            MarkLost(e);
            throw Unavailable(e);
        }
    }

    public Task RunAsync(Func<NpgsqlConnection, CancellationToken, Task> work, CancellationToken ct) =>
        RunAsync(async (c, t) => { await work(c, t); return true; }, ct);

    private StorageUnavailableException Unavailable(Exception? e) =>
        new($"The cluster database is unreachable ({State}); this silo reconnects on its own.", e);

    /// <summary>Connection refused, reset, timed out, server shutting down: worth falling back and reconnecting.</summary>
    public static bool IsConnectionFailure(Exception e) => e switch
    {
        StorageUnavailableException => true,
        PostgresException pe => pe.SqlState.StartsWith("08", StringComparison.Ordinal) || pe.SqlState.StartsWith("57P", StringComparison.Ordinal) || pe.SqlState == "53300",
        NpgsqlException => true,
        SocketException or IOException or TimeoutException => true,
        InvalidOperationException when e.InnerException is not null => IsConnectionFailure(e.InnerException),
        _ => false,
    };

    public void MarkLost(Exception e)
    {
        _state = $"unavailable: {e.GetBaseException().Message}";
        if (_available) logger.LogWarning("PostgreSQL lost ({Reason}); serving with local admission limits and local caches", e.GetBaseException().Message);
        _available = false;
        dataSource.Clear();
        if (Interlocked.Exchange(ref _reconnecting, 1) == 0) _ = Task.Run(ReconnectLoopAsync);
    }

    private async Task ReconnectLoopAsync()
    {
        var ct = _stopping.Token;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(options.ReconnectInterval, ct);
                try
                {
                    dataSource.Clear();
                    await SchemaMigrator.MigrateAsync(dataSource, logger, ct);
                    _available = true;
                    _state = "available";
                    logger.LogWarning("PostgreSQL regained; shared admission, caches and speakers are back");
                    break;
                }
                catch (Exception e) when (IsConnectionFailure(e) && !ct.IsCancellationRequested)
                {
                    _state = $"unavailable: {e.GetBaseException().Message}";
                }
            }
        }
        catch (OperationCanceledException) { return; }
        finally { Volatile.Write(ref _reconnecting, 0); }
        foreach (var handler in Regained?.GetInvocationList().Cast<Func<CancellationToken, Task>>() ?? [])
        {
            try { await handler(ct); }
            catch (Exception e) { logger.LogWarning(e, "A component failed to resynchronise after PostgreSQL came back"); }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        _stopping.Dispose();
    }
}

using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Tts.Cluster;

namespace Orleans.Tts.Grains.Cluster;

public sealed record SiloDirectoryOptions(TimeSpan RefreshInterval);

/// <summary>Reads the active silos with an internal endpoint from the membership table every refresh interval.</summary>
public sealed class PostgresSiloDirectory(NpgsqlDataSource dataSource, SiloDirectoryOptions options, ILogger<PostgresSiloDirectory> logger)
    : BackgroundService, ISiloDirectory
{
    private volatile IReadOnlyList<SiloGateway> _gateways = [];
    private DateTimeOffset? _refreshedAt;

    public IReadOnlyList<SiloGateway> Gateways => _gateways;

    public DateTimeOffset? RefreshedAt => _refreshedAt;

    public async Task RefreshAsync(CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT id, internal_address, capacity, load, queued FROM silos
            WHERE status = 'active' AND internal_address IS NOT NULL AND capacity > 0 ORDER BY id
            """);
        var list = new List<SiloGateway>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            list.Add(new SiloGateway(reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetInt32(3), reader.GetInt32(4)));
        _gateways = list;
        _refreshedAt = DateTimeOffset.UtcNow;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.RefreshInterval);
        do
        {
            try { await RefreshAsync(stoppingToken); }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
            {
                // Keep the last list: silos keep serving while PostgreSQL is away.
                logger.LogWarning("Could not refresh the silo list ({Error}); keeping {Count} known silos", e.Message, _gateways.Count);
            }
        }
        while (await WaitAsync(timer, stoppingToken));
    }

    private static async Task<bool> WaitAsync(PeriodicTimer timer, CancellationToken ct)
    {
        try { return await timer.WaitForNextTickAsync(ct); }
        catch (OperationCanceledException) { return false; }
    }
}

using System.Collections.Concurrent;
using Npgsql;

namespace Orleans.Tts.Client;

/// <summary>
/// The client's gateway list when it talks to silos directly: the public addresses of the active silos in the cluster's
/// membership table (like an Orleans client's gateway list), re-read every <see cref="TtsClientOptions.GatewayRefresh"/>.
/// Each call goes to the lighter of two random silos by (reported load + queued + this client's calls in flight) / capacity;
/// a silo that refused a connection is skipped for a while (two refresh intervals, at least 5 s).
/// </summary>
public sealed class PostgresGatewayList : ITtsGateways, IAsyncDisposable
{
    private sealed record Gateway(Uri Address, int Capacity, int Load, int Queued);

    private readonly NpgsqlDataSource _dataSource;
    private readonly TimeSpan _refresh;
    private readonly ConcurrentDictionary<Uri, int> _inFlight = new();
    private readonly ConcurrentDictionary<Uri, DateTimeOffset> _unreachable = new();
    private readonly SemaphoreSlim _reading = new(1, 1);
    private readonly CancellationTokenSource _stop = new();
    private volatile IReadOnlyList<Gateway>? _gateways;
    private readonly TimeSpan _avoidFor;
    private Task? _loop;

    public PostgresGatewayList(string connectionString, TimeSpan refresh)
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _refresh = refresh;
        _avoidFor = TimeSpan.FromTicks(Math.Max(refresh.Ticks * 2, TimeSpan.FromSeconds(5).Ticks));
    }

    /// <summary>The live silos' public addresses as last read (for diagnostics and tests).</summary>
    public IReadOnlyList<Uri> Addresses => _gateways?.Select(g => g.Address).ToList() ?? [];

    public async ValueTask<Uri?> PickAsync(IReadOnlySet<Uri> tried, CancellationToken cancellationToken = default)
    {
        var gateways = _gateways ?? await FirstReadAsync(cancellationToken);
        var candidates = Untried(gateways, tried);
        if (candidates.Count == 0 && tried.Count > 0)
        {
            // Every silo known failed: the list may be stale, read it again now.
            await TryRefreshAsync(cancellationToken);
            candidates = Untried(_gateways ?? [], tried);
        }
        if (candidates.Count <= 1) return candidates.FirstOrDefault()?.Address;
        var a = Random.Shared.Next(candidates.Count);
        var b = Random.Shared.Next(candidates.Count - 1);
        if (b >= a) b++;
        return Score(candidates[a]) <= Score(candidates[b]) ? candidates[a].Address : candidates[b].Address;
    }

    /// <summary>Silos not tried for this call; ones that recently refused a connection only when no other is left.</summary>
    private List<Gateway> Untried(IReadOnlyList<Gateway> gateways, IReadOnlySet<Uri> tried)
    {
        var untried = gateways.Where(g => !tried.Contains(g.Address)).ToList();
        var reachable = untried.Where(g => !IsUnreachable(g.Address)).ToList();
        return reachable.Count > 0 ? reachable : untried;
    }

    public void Track(Uri gateway, bool started) => _inFlight.AddOrUpdate(gateway, started ? 1 : 0, (_, n) => Math.Max(0, n + (started ? 1 : -1)));

    public void Unreachable(Uri gateway) => _unreachable[gateway] = DateTimeOffset.UtcNow;

    /// <summary>A refused silo is skipped for a while (its row stays active until the cluster declares it dead), unless nothing else is left.</summary>
    private bool IsUnreachable(Uri address) => _unreachable.TryGetValue(address, out var since) && DateTimeOffset.UtcNow - since < _avoidFor;

    private double Score(Gateway g) => (g.Load + g.Queued + _inFlight.GetValueOrDefault(g.Address)) / (double)Math.Max(1, g.Capacity);

    private async Task<IReadOnlyList<Gateway>> FirstReadAsync(CancellationToken cancellationToken)
    {
        await _reading.WaitAsync(cancellationToken);
        try
        {
            if (_gateways is null)
            {
                try { await ReadAsync(cancellationToken); }
                catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException)
                {
                    throw new TtsUnavailableException($"The TTS client could not read the live silos from PostgreSQL: {e.Message}", e);
                }
                _loop ??= RefreshLoopAsync();
            }
            return _gateways!;
        }
        finally
        {
            _reading.Release();
        }
    }

    private async Task TryRefreshAsync(CancellationToken cancellationToken)
    {
        // Keep the last list while PostgreSQL is away: the silos in it may well still serve.
        try { await ReadAsync(cancellationToken); }
        catch (Exception e) when (e is NpgsqlException or TimeoutException or System.Net.Sockets.SocketException) { }
    }

    private async Task ReadAsync(CancellationToken cancellationToken)
    {
        await using var command = _dataSource.CreateCommand(
            "SELECT address, capacity, load, queued FROM silos WHERE status = 'active' AND capacity > 0 ORDER BY id");
        var list = new List<Gateway>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            if (Uri.TryCreate(reader.GetString(0).TrimEnd('/') + "/", UriKind.Absolute, out var address))
                list.Add(new Gateway(address, reader.GetInt32(1), reader.GetInt32(2), reader.GetInt32(3)));
        _gateways = list;
    }

    private async Task RefreshLoopAsync()
    {
        using var timer = new PeriodicTimer(_refresh);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token)) await TryRefreshAsync(_stop.Token);
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        if (_loop is { } loop) await loop;
        _stop.Dispose();
        _reading.Dispose();
        await _dataSource.DisposeAsync();
    }
}

using System.Collections.Concurrent;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>
/// One LISTEN connection per silo; dispatches NOTIFY payloads to subscribers by channel.
/// Reconnects after PostgreSQL comes back (subscribers resynchronise through <see cref="PostgresStore.Regained"/>).
/// </summary>
public sealed class PostgresNotifications(PostgresStore store, ILogger<PostgresNotifications> logger) : BackgroundService
{
    public static readonly string[] Channels = ["tts_permits", "tts_cache", "tts_jobs"];
    private readonly ConcurrentDictionary<string, List<Action<string>>> _handlers = new();

    public void Subscribe(string channel, Action<string> handler)
    {
        var list = _handlers.GetOrAdd(channel, _ => []);
        lock (list) list.Add(handler);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!store.Available) { await Task.Delay(200, stoppingToken); continue; }
                await using var connection = await store.DataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, e) => Dispatch(e.Channel, e.Payload);
                await using (var listen = new NpgsqlCommand(string.Concat(Channels.Select(c => $"LISTEN {c};")), connection))
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                logger.LogDebug("Listening for cluster notifications");
                while (!stoppingToken.IsCancellationRequested) await connection.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception e) when (PostgresStore.IsConnectionFailure(e))
            {
                store.MarkLost(e);
                await Task.Delay(200, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
            }
        }
    }

    private void Dispatch(string channel, string payload)
    {
        if (!_handlers.TryGetValue(channel, out var list)) return;
        Action<string>[] copy;
        lock (list) copy = [.. list];
        foreach (var handler in copy)
        {
            try { handler(payload); }
            catch (Exception e) { logger.LogWarning(e, "Notification handler for {Channel} failed", channel); }
        }
    }
}

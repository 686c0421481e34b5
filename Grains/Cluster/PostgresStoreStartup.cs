using Microsoft.Extensions.Hosting;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>Connects to PostgreSQL (the result cache, speakers and jobs) and applies its migrations before requests are served.</summary>
public sealed class PostgresStoreStartup(PostgresStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.StartAsync(cancellationToken);
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

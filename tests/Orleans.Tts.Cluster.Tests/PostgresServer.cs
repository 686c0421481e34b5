using Npgsql;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// The tests' PostgreSQL: the one <c>./tts test</c> started (TTS_TEST_POSTGRES + TTS_PG_DIR), or a
/// throwaway server started here through scripts/postgres.sh and removed afterwards. Each test gets its
/// own database, so tests never see each other's rows.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    private readonly bool _owned;
    public string Directory { get; }
    public string ConnectionString { get; private set; } = "";
    private int _databases;

    public PostgresServer()
    {
        var given = Environment.GetEnvironmentVariable("TTS_TEST_POSTGRES");
        var dir = Environment.GetEnvironmentVariable("TTS_PG_DIR");
        if (!string.IsNullOrEmpty(given) && !string.IsNullOrEmpty(dir))
        {
            Directory = dir;
            ConnectionString = given;
        }
        else
        {
            _owned = true;
            Directory = Path.Combine(Path.GetTempPath(), $"tts-pg-test-{Environment.ProcessId}");
        }
    }

    public static string RepoRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "scripts", "postgres.sh"))) dir = dir.Parent;
            return dir?.FullName ?? throw new InvalidOperationException("scripts/postgres.sh not found above " + AppContext.BaseDirectory);
        }
    }

    public async Task InitializeAsync()
    {
        if (_owned) ConnectionString = (await ScriptAsync("start")).Trim().Split('\n')[^1];
    }

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (_owned) await ScriptAsync("stop", "--purge");
    }

    public Task StopAsync() => ScriptAsync("stop");
    public Task StartAsync() => ScriptAsync("start");

    /// <summary>A fresh database on the server; returns its connection string.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"test_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid().ToString("n")[..6]}";
        await using (var connection = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Database = name }.ConnectionString;
    }

    private Task<string> ScriptAsync(params string[] args) => PostgresScript.RunAsync(RepoRoot, Directory, args);
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<PostgresServer>
{
    public const string Name = "postgres cluster";
}

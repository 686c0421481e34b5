using System.Reflection;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>
/// Applies the embedded <c>migrations/NNNN_name.sql</c> in order, each in its own transaction,
/// recording them in <c>schema_version</c>. A session advisory lock makes concurrent silo starts safe.
/// </summary>
public static class SchemaMigrator
{
    private const long LockKey = 7405000;

    public static IReadOnlyList<(int Version, string Name, string Sql)> Migrations { get; } = Load();

    private static List<(int, string, string)> Load()
    {
        var assembly = typeof(SchemaMigrator).Assembly;
        var list = new List<(int, string, string)>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith("migrations/", StringComparison.Ordinal)))
        {
            var file = name["migrations/".Length..];
            var version = int.Parse(file[..file.IndexOf('_')], System.Globalization.CultureInfo.InvariantCulture);
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            list.Add((version, file, reader.ReadToEnd()));
        }
        return list.OrderBy(m => m.Item1).ToList();
    }

    public static async Task<int> MigrateAsync(NpgsqlDataSource dataSource, ILogger logger, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        await Exec(connection, $"SELECT pg_advisory_lock({LockKey})", ct);
        try
        {
            await Exec(connection, "CREATE TABLE IF NOT EXISTS schema_version (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())", ct);
            // Every migration not yet recorded, in order: one merged from a parallel branch with a lower number than the
            // newest applied one is applied too, not skipped.
            var applied = new HashSet<int>();
            await using (var current = new NpgsqlCommand("SELECT version FROM schema_version", connection))
            await using (var reader = await current.ExecuteReaderAsync(ct))
                while (await reader.ReadAsync(ct)) applied.Add(reader.GetInt32(0));
            var at = applied.Count == 0 ? 0 : applied.Max();
            foreach (var (version, name, sql) in Migrations.Where(m => !applied.Contains(m.Version)))
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                await using (var apply = new NpgsqlCommand(sql, connection, tx)) await apply.ExecuteNonQueryAsync(ct);
                await using (var record = new NpgsqlCommand("INSERT INTO schema_version (version, name) VALUES (@v, @n)", connection, tx))
                {
                    record.Parameters.AddWithValue("v", version);
                    record.Parameters.AddWithValue("n", name);
                    await record.ExecuteNonQueryAsync(ct);
                }
                await tx.CommitAsync(ct);
                logger.LogInformation("Applied schema migration {Migration}", name);
                at = Math.Max(at, version);
            }
            return at;
        }
        finally
        {
            if (connection.State == System.Data.ConnectionState.Open)
                await Exec(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    private static async Task Exec(NpgsqlConnection connection, string sql, CancellationToken ct)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(ct);
    }
}

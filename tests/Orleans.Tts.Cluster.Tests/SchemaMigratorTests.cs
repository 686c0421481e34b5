using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Orleans.Tts.Grains.Cluster;

namespace Orleans.Tts.Cluster.Tests;

[Collection(ClusterCollection.Name)]
public sealed class SchemaMigratorTests(PostgresServer postgres)
{
    [Fact]
    public async Task A_migration_numbered_below_the_newest_applied_one_is_still_applied()
    {
        // As after merging branches: 0001 and 0005 ran on this database before 0002 existed.
        await using var dataSource = NpgsqlDataSource.Create(await postgres.CreateDatabaseAsync());
        await using (var setup = dataSource.CreateCommand("CREATE TABLE schema_version (version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"))
            await setup.ExecuteNonQueryAsync();
        foreach (var (version, name, sql) in SchemaMigrator.Migrations.Where(m => m.Version is 1 or 5))
        {
            await using var apply = dataSource.CreateCommand(sql);
            await apply.ExecuteNonQueryAsync();
            await using var record = dataSource.CreateCommand($"INSERT INTO schema_version (version, name) VALUES ({version}, '{name}')");
            await record.ExecuteNonQueryAsync();
        }

        var at = await SchemaMigrator.MigrateAsync(dataSource, NullLogger.Instance, default);

        Assert.Equal(SchemaMigrator.Migrations.Max(m => m.Version), at);
        await using var applied = dataSource.CreateCommand("SELECT array_agg(version ORDER BY version) FROM schema_version");
        Assert.Equal(SchemaMigrator.Migrations.Select(m => m.Version).Order().ToArray(), (int[])(await applied.ExecuteScalarAsync())!);
        await using var column = dataSource.CreateCommand("SELECT count(*) FROM information_schema.columns WHERE table_name = 'silos' AND column_name = 'internal_address'");
        Assert.Equal(1L, await column.ExecuteScalarAsync());
    }
}

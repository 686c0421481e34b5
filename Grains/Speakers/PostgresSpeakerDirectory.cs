using Orleans.Tts.Synthesis.Speakers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Tts.Cluster;
using Orleans.Tts.Grains.Caching;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Speakers;

namespace Orleans.Tts.Grains.Speakers;

/// <summary>
/// Speakers in the <c>speakers</c> table. The embedding is computed under the speaker row's lock
/// (<c>SELECT … FOR UPDATE</c>): the first silo computes and stores it, the others block on the lock
/// and then read it — once per version for the cluster. Profiles and embeddings are cached per silo in
/// a memory-bounded LRU, invalidated on every silo by NOTIFY <c>tts_speakers</c> (and wholesale after
/// a PostgreSQL outage, when notifications may have been missed). Writes need PostgreSQL (503 otherwise).
/// </summary>
public sealed class PostgresSpeakerDirectory : ISpeakerDirectory
{
    private readonly PostgresStore _store;
    private readonly SpeakerEmbeddings _embeddings;
    private readonly ILogger<PostgresSpeakerDirectory> _logger;
    private readonly LruCache<SpeakerProfile> _profiles;
    private readonly LruCache<SpeakerEmbedding> _embeddingCache;

    public PostgresSpeakerDirectory(PostgresStore store, PostgresNotifications notifications, SpeakerEmbeddings embeddings, CacheOptions cache,
        ILogger<PostgresSpeakerDirectory> logger)
    {
        _store = store;
        _embeddings = embeddings;
        _logger = logger;
        var bytes = Math.Max(1 << 20, cache.MemoryBytes / 8);
        _profiles = new LruCache<SpeakerProfile>(bytes, p => 384 + p.BaseVoiceId.Length * 2 + (p.EngineSpeaker?.Length ?? 0) * 2 + (p.Blend?.Sum(b => 64 + b.Table.Length * 2) ?? 0));
        _embeddingCache = new LruCache<SpeakerEmbedding>(bytes, e => e.Data.Length + 128);
        notifications.Subscribe("tts_speakers", Invalidate);
        store.Regained += _ =>
        {
            _profiles.Clear();
            _embeddingCache.Clear();
            return Task.CompletedTask;
        };
    }

    private void Invalidate(string id)
    {
        _profiles.Remove(id);
        _embeddingCache.Remove(id);
        _logger.LogDebug("Speaker {Speaker} changed; local copies dropped", id);
    }

    public ISpeakerGrain GetSpeaker(string speakerId) => new Grain(this, speakerId);

    public async ValueTask<IReadOnlyList<SpeakerProfile>> ListAsync(CancellationToken cancellationToken = default) =>
        await _store.RunAsync(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand($"SELECT {Columns} FROM speakers ORDER BY id LIMIT 10000", connection);
            await using var reader = await command.ExecuteReaderAsync(ct);
            var list = new List<SpeakerProfile>();
            while (await reader.ReadAsync(ct)) list.Add(Read(reader));
            return (IReadOnlyList<SpeakerProfile>)list;
        }, cancellationToken);

    public async ValueTask<int> CountAsync(CancellationToken cancellationToken = default) =>
        await _store.RunAsync(async (connection, ct) =>
        {
            await using var command = new NpgsqlCommand("SELECT count(*)::int FROM speakers", connection);
            return (int)(await command.ExecuteScalarAsync(ct))!;
        }, cancellationToken);

    private const string Columns = "id, base_voice_id, speed, pitch, volume, engine_speaker, version, updated_at, blend::text, octet_length(voice_table), voice_table_sha256";
    private const int ColumnCount = 11;
    private static readonly JsonSerializerOptions BlendJson = new(JsonSerializerDefaults.Web);

    private static SpeakerProfile Read(NpgsqlDataReader r) => new(r.GetString(0), r.GetString(1), r.GetDouble(2), r.GetDouble(3), r.GetDouble(4),
        r.IsDBNull(5) ? null : r.GetString(5), r.GetInt64(6), new DateTimeOffset(r.GetDateTime(7), TimeSpan.Zero),
        r.IsDBNull(8) ? null : JsonSerializer.Deserialize<List<SpeakerBlendPart>>(r.GetString(8), BlendJson),
        r.IsDBNull(9) ? null : new SpeakerVoiceTable(r.GetInt32(9), r.GetString(10)));

    private const string Insert = "INSERT INTO speakers (id, base_voice_id, speed, pitch, volume, engine_speaker, blend, voice_table, voice_table_sha256) " +
        "VALUES (@id, @voice, @speed, @pitch, @volume, @engine, @blend::jsonb, @table, @table_sha256)";

    private static void Bind(NpgsqlCommand command, string id, SpeakerDefinition d)
    {
        command.Parameters.AddWithValue("blend", NpgsqlTypes.NpgsqlDbType.Text, d.Blend is null ? DBNull.Value : JsonSerializer.Serialize(d.Blend, BlendJson));
        command.Parameters.AddWithValue("table", NpgsqlTypes.NpgsqlDbType.Bytea, (object?)d.VoiceTable ?? DBNull.Value);
        command.Parameters.AddWithValue("table_sha256", NpgsqlTypes.NpgsqlDbType.Text, d.VoiceTable is null ? DBNull.Value : SpeakerVoiceTable.Of(d.VoiceTable).Sha256);
        command.Parameters.AddWithValue("id", id);
        command.Parameters.AddWithValue("voice", d.BaseVoiceId);
        command.Parameters.AddWithValue("speed", d.Speed);
        command.Parameters.AddWithValue("pitch", d.Pitch);
        command.Parameters.AddWithValue("volume", d.Volume);
        command.Parameters.AddWithValue("engine", (object?)d.EngineSpeaker ?? DBNull.Value);
    }

    private sealed class Grain(PostgresSpeakerDirectory owner, string id) : ISpeakerGrain
    {
        public string SpeakerId => id;

        public async ValueTask<SpeakerProfile?> GetAsync(CancellationToken cancellationToken = default)
        {
            if (owner._profiles.TryGet(id, out var cached)) return cached;
            var profile = await owner._store.RunAsync(async (connection, ct) =>
            {
                await using var command = new NpgsqlCommand($"SELECT {Columns} FROM speakers WHERE id = @id", connection);
                command.Parameters.AddWithValue("id", id);
                await using var reader = await command.ExecuteReaderAsync(ct);
                return await reader.ReadAsync(ct) ? Read(reader) : null;
            }, cancellationToken);
            if (profile is not null) owner._profiles.Set(id, profile);
            return profile;
        }

        public async ValueTask<SpeakerProfile> CreateAsync(SpeakerDefinition definition, CancellationToken cancellationToken = default) =>
            await Write($"""
                {Insert}
                ON CONFLICT (id) DO NOTHING RETURNING {Columns}
                """, definition, cancellationToken) ?? throw new SpeakerConflictException(id);

        public async ValueTask<SpeakerProfile> PutAsync(SpeakerDefinition definition, CancellationToken cancellationToken = default) =>
            (await Write($"""
                {Insert}
                ON CONFLICT (id) DO UPDATE SET base_voice_id = excluded.base_voice_id, speed = excluded.speed, pitch = excluded.pitch,
                    volume = excluded.volume, engine_speaker = excluded.engine_speaker, blend = excluded.blend, voice_table = excluded.voice_table,
                    voice_table_sha256 = excluded.voice_table_sha256, version = speakers.version + 1, updated_at = now(),
                    embedding = NULL, embedding_kind = NULL, embedding_version = NULL
                RETURNING {Columns}
                """, definition, cancellationToken))!;

        public async ValueTask<SpeakerProfile?> SetVoiceTableAsync(byte[] table, CancellationToken cancellationToken = default) =>
            await Write($"""
                UPDATE speakers SET voice_table = @table, voice_table_sha256 = @table_sha256, blend = NULL, version = version + 1, updated_at = now(),
                    embedding = NULL, embedding_kind = NULL, embedding_version = NULL
                WHERE id = @id RETURNING {Columns}
                """, null, cancellationToken, command =>
                {
                    command.Parameters.AddWithValue("id", id);
                    command.Parameters.AddWithValue("table", NpgsqlTypes.NpgsqlDbType.Bytea, table);
                    command.Parameters.AddWithValue("table_sha256", SpeakerVoiceTable.Of(table).Sha256);
                });

        public async ValueTask<byte[]?> GetVoiceTableAsync(CancellationToken cancellationToken = default) =>
            await owner._store.RunAsync(async (connection, ct) =>
            {
                await using var command = new NpgsqlCommand("SELECT voice_table FROM speakers WHERE id = @id", connection);
                command.Parameters.AddWithValue("id", id);
                return await command.ExecuteScalarAsync(ct) as byte[];
            }, cancellationToken);

        private async Task<SpeakerProfile?> Write(string sql, SpeakerDefinition? definition, CancellationToken cancellationToken, Action<NpgsqlCommand>? bind = null)
        {
            var profile = await owner._store.RunAsync(async (connection, ct) =>
            {
                await using var command = new NpgsqlCommand(sql, connection);
                if (definition is not null) Bind(command, id, definition);
                bind?.Invoke(command);
                await using var reader = await command.ExecuteReaderAsync(ct);
                var written = await reader.ReadAsync(ct) ? Read(reader) : null;
                await reader.DisposeAsync();
                if (written is not null) await Notify(connection, ct);
                return written;
            }, cancellationToken);
            owner.Invalidate(id);
            if (profile is not null) owner._logger.LogInformation("Speaker {Speaker} written (version {Version})", id, profile.Version);
            return profile;
        }

        public async ValueTask<bool> DeleteAsync(CancellationToken cancellationToken = default)
        {
            var deleted = await owner._store.RunAsync(async (connection, ct) =>
            {
                await using var command = new NpgsqlCommand("DELETE FROM speakers WHERE id = @id", connection);
                command.Parameters.AddWithValue("id", id);
                var n = await command.ExecuteNonQueryAsync(ct);
                if (n > 0) await Notify(connection, ct);
                return n > 0;
            }, cancellationToken);
            owner.Invalidate(id);
            if (deleted) owner._logger.LogInformation("Speaker {Speaker} deleted", id);
            return deleted;
        }

        private async Task Notify(NpgsqlConnection connection, CancellationToken ct)
        {
            await using var notify = new NpgsqlCommand("SELECT pg_notify('tts_speakers', @id)", connection);
            notify.Parameters.AddWithValue("id", id);
            await notify.ExecuteNonQueryAsync(ct);
        }

        public async ValueTask<SpeakerEmbedding?> GetEmbeddingAsync(CancellationToken cancellationToken = default)
        {
            var profile = await GetAsync(cancellationToken);
            if (profile is null) return null;
            if (owner._embeddingCache.TryGet(id, out var cached) && cached.Version == profile.Version) return cached;
            if (!owner._store.Available && profile.VoiceTable is null)
                return await owner._embeddings.ComputeAsync(new SpeakerSource(profile), cancellationToken); // not shared; recomputed once PostgreSQL is back
            var embedding = await owner._store.RunAsync(async (connection, ct) =>
            {
                await using var tx = await connection.BeginTransactionAsync(ct);
                SpeakerProfile? current;
                SpeakerEmbedding? stored = null;
                byte[]? table = null;
                // The uploaded table is read only when the embedding has to be computed from it.
                await using (var select = new NpgsqlCommand($"""
                    SELECT {Columns}, embedding_kind, embedding, embedding_version,
                        CASE WHEN embedding_version IS DISTINCT FROM version THEN voice_table END
                    FROM speakers WHERE id = @id FOR UPDATE
                    """, connection, tx))
                {
                    select.Parameters.AddWithValue("id", id);
                    await using var reader = await select.ExecuteReaderAsync(ct);
                    if (!await reader.ReadAsync(ct)) return null;
                    current = Read(reader);
                    if (!reader.IsDBNull(ColumnCount + 2) && reader.GetInt64(ColumnCount + 2) == current.Version)
                        stored = new SpeakerEmbedding(id, current.Version, reader.GetString(ColumnCount), (byte[])reader.GetValue(ColumnCount + 1));
                    else if (!reader.IsDBNull(ColumnCount + 3))
                        table = (byte[])reader.GetValue(ColumnCount + 3);
                }
                if (stored is null)
                {
                    stored = await owner._embeddings.ComputeAsync(new SpeakerSource(current, table), ct);
                    await using var update = new NpgsqlCommand("""
                        UPDATE speakers SET embedding_kind = @kind, embedding = @data, embedding_version = @version,
                            embedding_computations = embedding_computations + 1 WHERE id = @id
                        """, connection, tx);
                    update.Parameters.AddWithValue("kind", stored.Kind);
                    update.Parameters.AddWithValue("data", stored.Data);
                    update.Parameters.AddWithValue("version", stored.Version);
                    update.Parameters.AddWithValue("id", id);
                    await update.ExecuteNonQueryAsync(ct);
                    owner._logger.LogInformation("Speaker {Speaker} embedding ({Kind}) computed for version {Version}", id, stored.Kind, stored.Version);
                }
                await tx.CommitAsync(ct);
                return stored;
            }, cancellationToken);
            if (embedding is not null) owner._embeddingCache.Set(id, embedding);
            return embedding;
        }
    }
}

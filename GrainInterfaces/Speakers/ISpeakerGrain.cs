using System.Text.RegularExpressions;
using Orleans.Concurrency;

namespace Orleans.Tts.Speakers;

/// <summary>
/// All speakers of the cluster, for the API and the synthesising silos: speaker grains, the speaker index, and this
/// process's bounded cache of embeddings by speaker version.
/// </summary>
public interface ISpeakerDirectory
{
    /// <summary>The speaker's grain; <paramref name="speakerId"/> must be valid (<see cref="SpeakerIds.IsValid"/>).</summary>
    ISpeakerGrain GetSpeaker(string speakerId);
    ValueTask<IReadOnlyList<SpeakerProfile>> ListAsync(CancellationToken cancellationToken = default);

    /// <summary>How many speakers exist (the API refuses new ones beyond <c>TTS_MAX_SPEAKERS</c>).</summary>
    ValueTask<int> CountAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The embedding of <paramref name="speaker"/> at its version (version 0: the current one), from this process's cache or
    /// else from the speaker's grain; null when the speaker does not exist.
    /// </summary>
    ValueTask<SpeakerEmbedding?> GetEmbeddingAsync(SpeakerRef speaker, CancellationToken cancellationToken = default);
}

/// <summary>
/// Speaker ids: 1–64 characters of a–z, 0–9, '-' and '_', starting with a letter or digit. They are grain keys, so an id is
/// checked before any grain is asked (no speaker can have another id).
/// </summary>
public static partial class SpeakerIds
{
    [GeneratedRegex(@"^[a-z0-9][a-z0-9_-]{0,63}\z")]
    private static partial Regex Pattern();

    public static bool IsValid(string? id) => id is not null && Pattern().IsMatch(id);
}

/// <summary>
/// One named speaker profile (a base voice plus parameters), keyed by speaker id. Its embedding is computed by this grain
/// once per version for the whole cluster; silos keep copies by version (<see cref="ISpeakerDirectory.GetEmbeddingAsync"/>).
/// </summary>
[Alias("tts.ISpeakerGrain")]
public interface ISpeakerGrain : IGrainWithStringKey
{
    [Alias("Get")]
    ValueTask<SpeakerProfile?> GetAsync(CancellationToken cancellationToken = default);

    /// <summary>Creates the speaker at version 1 (or one past its deleted predecessor's); null when the id is taken.</summary>
    [Alias("Create")]
    ValueTask<SpeakerProfile?> CreateAsync(SpeakerDefinition definition, CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces the speaker; the version is incremented and the embedding recomputed on next use.</summary>
    [Alias("Put")]
    ValueTask<SpeakerProfile> PutAsync(SpeakerDefinition definition, CancellationToken cancellationToken = default);

    [Alias("Delete")]
    ValueTask<bool> DeleteAsync(CancellationToken cancellationToken = default);

    /// <summary>The speaker's embedding for its current version, computed once by this grain; null when there is no such speaker.</summary>
    [Alias("GetEmbedding")]
    ValueTask<SpeakerEmbedding?> GetEmbeddingAsync(CancellationToken cancellationToken = default);

    /// <summary>The uploaded voice table (float32 [510,1,256] little-endian), or null when the speaker has none or does not exist.</summary>
    [Alias("GetVoiceTable")]
    [return: Immutable]
    ValueTask<byte[]?> GetVoiceTableAsync(CancellationToken cancellationToken = default);

    /// <summary>Replaces the speaker's style with an uploaded (already validated) voice table; null when there is no such speaker.</summary>
    [Alias("SetVoiceTable")]
    ValueTask<SpeakerProfile?> SetVoiceTableAsync([Immutable] byte[] table, CancellationToken cancellationToken = default);
}

/// <summary>
/// The list of speakers (key 0): a summary (the profile) of each, kept by the speaker grains on every change so that listing
/// and counting 10,000 speakers reads one grain's memory instead of activating 10,000 grains.
/// </summary>
[Alias("tts.ISpeakerIndexGrain")]
public interface ISpeakerIndexGrain : IGrainWithIntegerKey
{
    /// <summary>Every speaker's profile, ordered by id.</summary>
    [Alias("List"), ReadOnly]
    ValueTask<IReadOnlyList<SpeakerProfile>> ListAsync();

    [Alias("Count"), ReadOnly]
    ValueTask<int> CountAsync();

    /// <summary>Records a created or changed speaker (a no-op when this version is already recorded).</summary>
    [Alias("Set")]
    ValueTask SetAsync(SpeakerProfile profile);

    [Alias("Remove")]
    ValueTask RemoveAsync(string speakerId);
}

/// <summary>One style table of a Kokoro blend and its weight (weights are normalised to sum 1).</summary>
[GenerateSerializer, Immutable, Alias("tts.SpeakerBlendPart")]
public sealed record SpeakerBlendPart([property: Id(0)] string Table, [property: Id(1)] double Weight);

/// <summary>What is known of an uploaded voice table without reading it: its size and SHA-256 (hex).</summary>
[GenerateSerializer, Immutable, Alias("tts.SpeakerVoiceTable")]
public sealed record SpeakerVoiceTable([property: Id(0)] int Bytes, [property: Id(1)] string Sha256)
{
    /// <summary>Rows, style values per row and bytes of an uploadable table: float32 [510, 1, 256] = 522,240 bytes.</summary>
    public const int Rows = 510, StyleDim = 256, ExpectedBytes = Rows * StyleDim * sizeof(float);

    public static SpeakerVoiceTable Of(byte[] table) =>
        new(table.Length, Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(table)));

    /// <summary>Why <paramref name="table"/> is not an uploadable voice table (size, then finite numbers), or null when it is one.</summary>
    public static string? Problem(ReadOnlySpan<byte> table)
    {
        if (table.Length != ExpectedBytes)
            return $"A voice table is float32 [{Rows},1,{StyleDim}] little-endian: exactly {ExpectedBytes:N0} bytes, the size of the published Kokoro voices/*.bin; got {table.Length:N0} bytes.";
        for (var i = 0; i < Rows * StyleDim; i++)
        {
            var value = System.Buffers.Binary.BinaryPrimitives.ReadSingleLittleEndian(table[(i * sizeof(float))..]);
            if (!float.IsFinite(value))
                return $"A voice table holds finite numbers only; the value at row {i / StyleDim}, column {i % StyleDim} (byte offset {i * sizeof(float)}) is {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}.";
        }
        return null;
    }
}

/// <summary>What a client sets on a speaker.</summary>
/// <param name="BaseVoiceId">Voice the speaker is built on.</param>
/// <param name="Speed">Speed multiplier (0.25–4).</param>
/// <param name="Pitch">Pitch shift in semitones (−12 to +12).</param>
/// <param name="Volume">Gain (0.1–2).</param>
/// <param name="EngineSpeaker">The speaker name of a multi-speaker Piper voice (the base voice is then that speaker's voice); else null.</param>
/// <param name="Blend">For a Kokoro base voice: the style tables mixed into the speaker's style (the base voice gives the language).</param>
/// <param name="VoiceTable">For a Kokoro base voice: an uploaded style table (float32 [510,1,256], little-endian), validated.</param>
// Immutable: a definition (with its table) is built once by the API and never changed, so local grain calls pass it without a copy.
[GenerateSerializer, Immutable, Alias("tts.SpeakerDefinition")]
public sealed record SpeakerDefinition([property: Id(0)] string BaseVoiceId, [property: Id(1)] double Speed = 1.0, [property: Id(2)] double Pitch = 0.0, [property: Id(3)] double Volume = 1.0, [property: Id(4)] string? EngineSpeaker = null,
    [property: Id(5)] IReadOnlyList<SpeakerBlendPart>? Blend = null, [property: Id(6)] byte[]? VoiceTable = null)
{
    public const double MinVolume = 0.1, MaxVolume = 2.0;
    public const int MaxBlendParts = 8;
}

/// <param name="Id">Speaker id; used as <c>speaker:&lt;id&gt;</c>.</param>
/// <param name="Version">Incremented on every change; part of cache keys.</param>
/// <param name="VoiceTable">Size and digest of the uploaded voice table (the table itself: <c>GET /v1/speakers/{id}/voice-table</c>).</param>
[GenerateSerializer, Immutable, Alias("tts.SpeakerProfile")]
public sealed record SpeakerProfile([property: Id(0)] string Id, [property: Id(1)] string BaseVoiceId, [property: Id(2)] double Speed = 1.0, [property: Id(3)] double Pitch = 0.0, [property: Id(4)] double Volume = 1.0,
    [property: Id(5)] string? EngineSpeaker = null, [property: Id(6)] long Version = 1, [property: Id(7)] DateTimeOffset? UpdatedAt = null,
    IReadOnlyList<SpeakerBlendPart>? Blend = null, [property: Id(9)] SpeakerVoiceTable? VoiceTable = null)
{
    /// <summary>
    /// Always an array: profiles are grain state, which Orleans' JSON storage serializer writes with type names, and the
    /// list a collection expression makes (<c>[.. parts]</c>) is a compiler-made type it cannot create again.
    /// </summary>
    [Id(8)]
    public IReadOnlyList<SpeakerBlendPart>? Blend { get; init; } = Blend?.ToArray();
}

/// <summary>An engine-computed speaker representation (e.g. a style vector), opaque to everything but its engine.</summary>
/// <param name="Kind">Which provider made it: <c>voice-parameters</c> (JSON of the profile), <c>kokoro-style</c> (the style table,
/// float32 little-endian rows of 256 values).</param>
// Immutable: never changed once computed, so a 522 KB style table passes between callers in a silo without a copy.
[GenerateSerializer, Immutable, Alias("tts.SpeakerEmbedding")]
public sealed record SpeakerEmbedding([property: Id(0)] string SpeakerId, [property: Id(1)] long Version, [property: Id(2)] string Kind, [property: Id(3)] byte[] Data)
{
    public const string KokoroStyle = "kokoro-style";
}

/// <summary>Which speaker (and which version of it) a synthesis is for.</summary>
[GenerateSerializer, Immutable, Alias("tts.SpeakerRef")]
public sealed record SpeakerRef([property: Id(0)] string Id, [property: Id(1)] long Version);

/// <summary>The speakers' grain storage (Redis in a cluster) did not take a change; nothing was changed, the caller may retry.</summary>
[GenerateSerializer, Alias("tts.SpeakerStorageException")]
public sealed class SpeakerStorageException : Exception
{
    public SpeakerStorageException(string message) : base(message) { }
}

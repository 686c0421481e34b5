using System.Runtime.InteropServices;

namespace Orleans.Tts.Synthesis.Engines.Kokoro;

/// <summary>
/// A Kokoro voice: a style table of float32 [rows, 1, 256] (510 rows in the published voices). The row for an
/// input is its token count, so short and long inputs get the style the voice was fitted with for their length.
/// </summary>
public sealed class KokoroVoiceTable
{
    public const int StyleDim = 256;

    /// <summary>Largest table file read: 16,384 rows, 32 times the published tables.</summary>
    public const long MaxBytes = 16_384L * StyleDim * sizeof(float);

    private readonly float[] _values;

    public KokoroVoiceTable(float[] values)
    {
        if (values.Length == 0 || values.Length % StyleDim != 0)
            throw new InvalidDataException($"A voice table holds rows of {StyleDim} float32 values; {values.Length} values is not whole rows.");
        _values = values;
    }

    public int Rows => _values.Length / StyleDim;

    public ReadOnlySpan<float> Values => _values;

    /// <summary>Rows in the published voice tables: float32 [510, 1, 256].</summary>
    public const int PublishedRows = 510;

    /// <summary>Bytes of a published voice table: 510 × 256 float32 = 522,240.</summary>
    public const int PublishedBytes = PublishedRows * StyleDim * sizeof(float);

    public static KokoroVoiceTable Load(string path)
    {
        // Checked before reading: a huge file in the voices directory must not take the silo's memory.
        var size = new FileInfo(path).Length;
        if (size > MaxBytes)
            throw new InvalidDataException($"{size} bytes is too large for a Kokoro voice table (float32 [510,1,256] = 522,240 bytes; at most {MaxBytes} bytes are read).");
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length == 0 || bytes.Length % (StyleDim * sizeof(float)) != 0)
            throw new InvalidDataException(
                $"{bytes.Length} bytes is not a Kokoro voice table (float32 [510,1,256] = 522,240 bytes; any whole number of 1,024-byte rows is accepted).");
        return FromBytes(bytes);
    }

    /// <summary>A table from its little-endian float32 bytes (whole rows); throws <see cref="InvalidDataException"/> saying what is wrong.</summary>
    public static KokoroVoiceTable FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length == 0 || bytes.Length % (StyleDim * sizeof(float)) != 0)
            throw new InvalidDataException($"{bytes.Length} bytes is not whole rows of {StyleDim} float32 values ({StyleDim * sizeof(float)} bytes each).");
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("Voice tables are little-endian float32.");
        var values = MemoryMarshal.Cast<byte, float>(bytes).ToArray();
        var bad = Array.FindIndex(values, v => !float.IsFinite(v));
        if (bad >= 0)
            throw new InvalidDataException(
                $"The voice table holds NaN or infinite values (the first at row {bad / StyleDim}, column {bad % StyleDim}, byte offset {bad * sizeof(float)}).");
        return new KokoroVoiceTable(values);
    }

    /// <summary>The table as little-endian float32 bytes (the file format).</summary>
    public byte[] ToBytes() => MemoryMarshal.AsBytes(_values.AsSpan()).ToArray();

    /// <summary>The style for <paramref name="tokenCount"/> tokens (the last row for longer inputs).</summary>
    public float[] Row(int tokenCount)
    {
        var row = Math.Clamp(tokenCount, 0, Rows - 1);
        return _values.AsSpan(row * StyleDim, StyleDim).ToArray();
    }

    /// <summary>The weighted mean of tables (weights already normalised to sum 1), row by row.</summary>
    public static KokoroVoiceTable Blend(IReadOnlyList<(KokoroVoiceTable Table, double Weight)> parts)
    {
        var rows = parts.Min(p => p.Table.Rows);
        var blended = new float[rows * StyleDim];
        for (var i = 0; i < blended.Length; i++)
        {
            var sum = 0.0;
            foreach (var (table, weight) in parts) sum += weight * table._values[i];
            blended[i] = (float)sum;
        }
        return new KokoroVoiceTable(blended);
    }
}

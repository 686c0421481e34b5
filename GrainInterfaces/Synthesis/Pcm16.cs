using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Orleans.Tts.Synthesis;

/// <summary>16-bit samples as little-endian bytes (WAV data, raw PCM, the frontend↔silo sentence frames): a plain copy on a little-endian machine.</summary>
public static class Pcm16
{
    public static void WriteLittleEndian(ReadOnlySpan<short> samples, Span<byte> destination)
    {
        MemoryMarshal.AsBytes(samples).CopyTo(destination);
        if (!BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(MemoryMarshal.Cast<byte, short>(destination[..(samples.Length * 2)]), MemoryMarshal.Cast<byte, short>(destination[..(samples.Length * 2)]));
    }

    public static void ReadLittleEndian(ReadOnlySpan<byte> bytes, Span<short> destination)
    {
        bytes.CopyTo(MemoryMarshal.AsBytes(destination));
        if (!BitConverter.IsLittleEndian) BinaryPrimitives.ReverseEndianness(destination[..(bytes.Length / 2)], destination[..(bytes.Length / 2)]);
    }
}

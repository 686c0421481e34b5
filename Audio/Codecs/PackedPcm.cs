using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;

namespace Orleans.Tts.Audio.Codecs;

/// <summary>
/// 16-bit mono PCM packed losslessly for storage: each sample minus the one before it (the first minus zero), little-endian,
/// compressed with Brotli at quality 4 (speech is smooth, so the differences are small numbers Brotli packs tightly; the measured
/// size and CPU are in bench/RESULTS.md, "Job audio encoding" and "job sentences packed by the engine host that spoke them"). A job sentence is packed where it is synthesised — in eSpeak's
/// low-priority engine host — so the silo stores it without holding or compressing its samples.
/// </summary>
public static class PackedPcm
{
    private const int Quality = 4, Window = 22, ChunkSamples = 4096;

    /// <summary>Packs <paramref name="samples"/> into <paramref name="output"/>; returns the bytes written.</summary>
    public static int Pack(ReadOnlySpan<short> samples, IBufferWriter<byte> output)
    {
        using var encoder = new BrotliEncoder(Quality, Window);
        Span<byte> chunk = stackalloc byte[ChunkSamples * sizeof(short)];
        short previous = 0;
        var written = 0;
        do
        {
            var part = samples[..Math.Min(ChunkSamples, samples.Length)];
            WriteDifferences(part, ref previous, chunk);
            samples = samples[part.Length..];
            written += Compress(encoder, chunk[..(part.Length * 2)], output, final: samples.IsEmpty);
        } while (!samples.IsEmpty);
        return written;
    }

    /// <summary>
    /// Each sample minus the one before it (<paramref name="previous"/>, carried from call to call), as 16-bit little-endian values
    /// at the start of <paramref name="destination"/>.
    /// </summary>
    public static void WriteDifferences(ReadOnlySpan<short> samples, ref short previous, Span<byte> destination)
    {
        for (var i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteInt16LittleEndian(destination[(i * 2)..], unchecked((short)(samples[i] - previous)));
            previous = samples[i];
        }
    }

    /// <summary>Turns 16-bit little-endian differences (as <see cref="WriteDifferences"/> wrote them, from zero) back into the samples, in place.</summary>
    public static void Integrate(Span<short> differences)
    {
        short previous = 0;
        for (var i = 0; i < differences.Length; i++)
        {
            var delta = BitConverter.IsLittleEndian ? differences[i] : BinaryPrimitives.ReverseEndianness(differences[i]);
            previous = differences[i] = unchecked((short)(previous + delta));
        }
    }

    private static int Compress(BrotliEncoder encoder, ReadOnlySpan<byte> source, IBufferWriter<byte> output, bool final)
    {
        var written = 0;
        while (true)
        {
            var destination = output.GetSpan(Math.Max(4096, BrotliEncoder.GetMaxCompressedLength(source.Length)));
            var status = encoder.Compress(source, destination, out var consumed, out var produced, final);
            output.Advance(produced);
            written += produced;
            source = source[consumed..];
            if (status == OperationStatus.Done && source.IsEmpty) return written;
            if (status != OperationStatus.DestinationTooSmall) throw new InvalidOperationException($"Brotli stopped with {status}.");
        }
    }

    /// <summary>
    /// Unpacks exactly <paramref name="samples"/>.Length samples from <paramref name="packed"/>; data that is not a packing of that
    /// many samples is an <see cref="InvalidDataException"/>.
    /// </summary>
    public static void Unpack(ReadOnlySpan<byte> packed, Span<short> samples)
    {
        var bytes = System.Runtime.InteropServices.MemoryMarshal.AsBytes(samples);
        // Brotli reports the end of an empty stream only with room to write into.
        Span<byte> none = stackalloc byte[1];
        using var decoder = new BrotliDecoder();
        var status = decoder.Decompress(packed, bytes.IsEmpty ? none : bytes, out var consumed, out var written);
        if (status != OperationStatus.Done || consumed != packed.Length || written != bytes.Length)
            throw new InvalidDataException($"Packed audio does not hold the {samples.Length} samples its header gives.");
        Integrate(samples);
    }
}

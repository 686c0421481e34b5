using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.InteropServices;
using Microsoft.IO;
using Orleans.Tts.Audio.Codecs;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// How a job unit's 16-bit mono PCM is stored: a one-byte format tag, then the encoded samples. The stored format is
/// <see cref="JobAudioFormat.DeltaBrotliParts"/>: the unit's sentences one after another, each packed on its own
/// (<see cref="PackedPcm"/>: first differences, Brotli quality 4), so a sentence an engine host packed is stored as it came.
/// bench/RESULTS.md ("Job audio encoding") has the measured size and CPU of the candidates; every format here stays
/// decodable, so results written before a change remain readable. Lossless: a job's audio is the samples the engine made.
/// </summary>
public static class JobAudioCodec
{
    public const JobAudioFormat Stored = JobAudioFormat.DeltaBrotliParts;

    /// <summary>Without a count to expect, a stored unit holds at most this many samples (an hour at 24 kHz): a larger count is corrupt data.</summary>
    private const long MaxSamples = 24_000 * 3600;

    // The compressor's output grows in pooled blocks instead of a MemoryStream's initial array and doublings: those were 44 %
    // of a silo's allocations during a job backlog (bench/RESULTS.md, "Interactive p99 under a job backlog: what it is not").
    // Only blocks are used (the output is read as a sequence, never as one buffer); the free ones kept are bounded.
    private static readonly RecyclableMemoryStreamManager Buffers = new(new RecyclableMemoryStreamManager.Options
    {
        BlockSize = 64 * 1024,
        MaximumSmallPoolFreeBytes = 16 * 1024 * 1024,
    });

    public static byte[] Encode(ReadOnlySpan<short> samples, JobAudioFormat format = Stored)
    {
        using var writer = new Writer(format);
        writer.Append(samples);
        return writer.Finish();
    }

    /// <summary>The parts (a unit's sentences, in order) encoded as one unit, without making their concatenation.</summary>
    public static byte[] EncodeParts(IReadOnlyList<short[]> parts, JobAudioFormat format = Stored)
    {
        using var writer = new Writer(format);
        foreach (var part in parts) writer.Append(part);
        return writer.Finish();
    }

    /// <summary>
    /// One stored unit encoded part by part as its sentences arrive (the same bytes as <see cref="EncodeParts"/>): a caller can drop each
    /// sentence's samples once appended, and a sentence already packed (<see cref="AppendPacked"/>) is copied in as it is. The single-stream
    /// formats feed their compressor through one pooled chunk, so the audio is never copied whole into a byte array first. Not thread-safe:
    /// one append at a time.
    /// </summary>
    public sealed class Writer : IDisposable
    {
        private const int ChunkSamples = 16 * 1024;
        private readonly JobAudioFormat _format;
        private readonly RecyclableMemoryStream _output;
        private readonly Stream? _compressor;
        private readonly byte[]? _chunk;
        private short _previous;

        public Writer(JobAudioFormat format = Stored)
        {
            _format = format;
            _output = Buffers.GetStream("job-audio");
            _output.WriteByte((byte)format);
            if (format == JobAudioFormat.DeltaBrotliParts) return;
            _compressor = Compressor(_output, format);
            _chunk = System.Buffers.ArrayPool<byte>.Shared.Rent(ChunkSamples * 2);
        }

        public void Append(ReadOnlySpan<short> samples)
        {
            if (_compressor is null)
            {
                if (samples.IsEmpty) return;
                // The part's header is written once its packed length is known.
                var header = _output.Position;
                _output.Write(stackalloc byte[PartHeaderBytes]);
                var packed = PackedPcm.Pack(samples, _output);
                var end = _output.Position;
                _output.Position = header;
                WritePartHeader(samples.Length, packed);
                _output.Position = end;
                return;
            }
            var delta = _format is JobAudioFormat.DeltaBrotli or JobAudioFormat.DeltaZLib;
            while (!samples.IsEmpty)
            {
                var part = samples[..Math.Min(ChunkSamples, samples.Length)];
                var bytes = _chunk!.AsSpan(0, part.Length * 2);
                if (delta) PackedPcm.WriteDifferences(part, ref _previous, bytes);
                else MemoryMarshal.AsBytes(part).CopyTo(bytes);
                _compressor.Write(bytes);
                samples = samples[part.Length..];
            }
        }

        /// <summary>A part already packed (<see cref="PackedPcm"/>) of <paramref name="samples"/> samples, stored as it is.</summary>
        public void AppendPacked(int samples, ReadOnlySpan<byte> packed)
        {
            if (_compressor is not null) throw new InvalidOperationException($"Packed parts are stored only in {JobAudioFormat.DeltaBrotliParts}.");
            ArgumentOutOfRangeException.ThrowIfNegative(samples);
            if (samples == 0) return;
            WritePartHeader(samples, packed.Length);
            _output.Write(packed);
        }

        private void WritePartHeader(int samples, int packedBytes)
        {
            Span<byte> header = stackalloc byte[PartHeaderBytes];
            BinaryPrimitives.WriteInt32LittleEndian(header, samples);
            BinaryPrimitives.WriteInt32LittleEndian(header[4..], packedBytes);
            _output.Write(header);
        }

        public byte[] Finish()
        {
            _compressor?.Dispose();
            var stored = GC.AllocateUninitializedArray<byte>(checked((int)_output.Length));
            System.Buffers.BuffersExtensions.CopyTo(_output.GetReadOnlySequence(), stored);
            return stored;
        }

        public void Dispose()
        {
            _compressor?.Dispose();
            _output.Dispose();
            if (_chunk is not null) System.Buffers.ArrayPool<byte>.Shared.Return(_chunk);
        }
    }

    /// <summary>
    /// The unit's samples. With <paramref name="expectedSamples"/> (the count the job recorded for the unit), stored data that holds
    /// another count is an <see cref="InvalidDataException"/>, found before the samples are allocated where the format allows.
    /// </summary>
    public static short[] Decode(byte[] stored, int? expectedSamples = null)
    {
        if (stored.Length == 0) throw new InvalidDataException("Empty job audio.");
        var format = (JobAudioFormat)stored[0];
        var samples = format == JobAudioFormat.DeltaBrotliParts ? DecodeParts(stored.AsSpan(1), expectedSamples) : DecodeStream(stored, format);
        if (expectedSamples is { } expected && samples.Length != expected)
            throw new InvalidDataException($"Job audio holds {samples.Length} samples where the job recorded {expected}.");
        return samples;
    }

    private static short[] DecodeStream(byte[] stored, JobAudioFormat format)
    {
        using var input = new MemoryStream(stored, 1, stored.Length - 1);
        using var decompressor = Decompressor(input, format);
        using var pcm = new MemoryStream();
        decompressor.CopyTo(pcm);
        var samples = MemoryMarshal.Cast<byte, short>(pcm.GetBuffer().AsSpan(0, (int)pcm.Length)).ToArray();
        if (format is JobAudioFormat.DeltaBrotli or JobAudioFormat.DeltaZLib) PackedPcm.Integrate(samples);
        else if (!BitConverter.IsLittleEndian) for (var i = 0; i < samples.Length; i++) samples[i] = BinaryPrimitives.ReverseEndianness(samples[i]);
        return samples;
    }

    /// <summary>Each part: its sample count and packed length (32-bit little-endian), then the packed bytes.</summary>
    private const int PartHeaderBytes = 8;

    private static short[] DecodeParts(ReadOnlySpan<byte> parts, int? expectedSamples)
    {
        long total = 0;
        for (var rest = parts; !rest.IsEmpty;)
        {
            var (samples, packed) = PartHeader(rest);
            total += samples;
            if (total > (expectedSamples ?? MaxSamples)) throw new InvalidDataException("Job audio holds more samples than its unit.");
            rest = rest[(PartHeaderBytes + packed)..];
        }
        var pcm = GC.AllocateUninitializedArray<short>((int)total);
        var at = 0;
        while (!parts.IsEmpty)
        {
            var (samples, packed) = PartHeader(parts);
            PackedPcm.Unpack(parts.Slice(PartHeaderBytes, packed), pcm.AsSpan(at, samples));
            at += samples;
            parts = parts[(PartHeaderBytes + packed)..];
        }
        return pcm;
    }

    private static (int Samples, int Packed) PartHeader(ReadOnlySpan<byte> parts)
    {
        if (parts.Length < PartHeaderBytes) throw new InvalidDataException("Job audio ends inside a part's header.");
        var samples = BinaryPrimitives.ReadInt32LittleEndian(parts);
        var packed = BinaryPrimitives.ReadInt32LittleEndian(parts[4..]);
        if (samples < 0 || packed < 0 || packed > parts.Length - PartHeaderBytes)
            throw new InvalidDataException("Job audio has a part whose lengths do not fit it.");
        return (samples, packed);
    }

    private static Stream Compressor(Stream output, JobAudioFormat format) => format switch
    {
        JobAudioFormat.Brotli or JobAudioFormat.DeltaBrotli => new BrotliStream(output, new BrotliCompressionOptions { Quality = 4 }, leaveOpen: true),
        JobAudioFormat.DeltaZLib => new ZLibStream(output, CompressionLevel.Fastest, leaveOpen: true),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unknown job audio format."),
    };

    private static Stream Decompressor(Stream input, JobAudioFormat format) => format switch
    {
        JobAudioFormat.Brotli or JobAudioFormat.DeltaBrotli => new BrotliStream(input, CompressionMode.Decompress),
        JobAudioFormat.DeltaZLib => new ZLibStream(input, CompressionMode.Decompress),
        _ => throw new InvalidDataException($"Unknown job audio format {(byte)format}."),
    };
}

/// <summary>The stored encodings of job audio (the first byte of each stored unit).</summary>
public enum JobAudioFormat : byte
{
    /// <summary>PCM16 little-endian, Brotli quality 4.</summary>
    Brotli = 1,
    /// <summary>First differences of the samples, PCM16 little-endian, Brotli quality 4.</summary>
    DeltaBrotli = 2,
    /// <summary>First differences, ZLib at its fastest level.</summary>
    DeltaZLib = 3,
    /// <summary>Sentences packed one by one (<see cref="PackedPcm"/>: first differences, Brotli quality 4), each after its sample count and packed length.</summary>
    DeltaBrotliParts = 4,
}

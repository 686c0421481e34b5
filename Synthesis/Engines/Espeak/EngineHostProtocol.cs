using Orleans.Tts.Synthesis.Engines.Phonemes;
using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orleans.Tts.Synthesis.Engines.Espeak;

/// <summary>A piece of text and the eSpeak voice that reads it.</summary>
public sealed record EspeakSegment(string Voice, string Text);

/// <summary>eSpeak parameters: words per minute (80–1000), pitch (0–100), gap between words in 10 ms units.</summary>
public sealed record EspeakProsody(int WordsPerMinute, int Pitch, int WordGap)
{
    public static EspeakProsody Default { get; } = new(175, 50, 0);
}

public sealed record EspeakVoiceEntry(string Name, string Identifier, IReadOnlyList<string> Languages, string? Gender);

/// <param name="Words">A synthesis that wants eSpeak's word events back (word timings); null (not written) otherwise, so an untimed
/// request's frames are what they always were.</param>
/// <param name="Packed">A synthesis whose audio comes back packed (<see cref="Orleans.Tts.Audio.Codecs.PackedPcm"/>) instead of as PCM.</param>
internal sealed record HostRequest(string Op, IReadOnlyList<EspeakSegment>? Segments = null, EspeakProsody? Prosody = null, string? Voice = null, string? Text = null,
    string? Tie = null, bool? Words = null, bool? Packed = null);

/// <param name="Words">When asked for: eSpeak's word events, four numbers each (segment index, 1-based code-point position in that
/// segment's text, length in code points, first sample in the returned audio).</param>
/// <param name="SpeechEnd">With words: where the speech ends in the returned audio (the fixed trailing pause follows).</param>
/// <param name="PackedBytes">When packed audio was asked for: the length of the frame that follows, which packs <paramref name="SampleCount"/> samples.</param>
/// <param name="SoundEnds">With words and packed audio: where each word event's sound ends (<see cref="EspeakWords.SoundEnds"/>).</param>
internal sealed record HostResponse(bool Ok, string? Error = null, int SampleRate = 0, int SampleCount = 0, string? Phonemes = null,
    IReadOnlyList<EspeakVoiceEntry>? Voices = null, string? Version = null, int ProcessId = 0, IReadOnlyList<PhonemeClause>? Clauses = null,
    IReadOnlyList<int>? Words = null, int? SpeechEnd = null, int? PackedBytes = null, IReadOnlyList<int>? SoundEnds = null);

[JsonSerializable(typeof(HostRequest))]
[JsonSerializable(typeof(HostResponse))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class HostJsonContext : JsonSerializerContext;

/// <summary>
/// Length-prefixed frames over the engine host's stdin/stdout: a JSON request; a JSON response,
/// followed for syntheses by one frame of little-endian 16-bit PCM, or of packed audio when the request asked for it. Each message crosses the pipe in one write, so the
/// reader is woken once per message, not once per piece of it.
/// </summary>
internal static class HostFraming
{
    /// <summary>Upper bound of one frame; a larger length means a corrupt stream.</summary>
    public const int MaxFrameBytes = 256 * 1024 * 1024;

    /// <summary>A JSON frame, header and payload in one write.</summary>
    public static ValueTask WriteJsonAsync<T>(Stream stream, T value, CancellationToken ct) => stream.WriteAsync(JsonFrame(value), ct);

    /// <summary>A JSON frame, header and payload in one write.</summary>
    public static void WriteJson<T>(Stream stream, T value) => stream.Write(JsonFrame(value));

    private static byte[] JsonFrame<T>(T value)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(value, typeof(T), HostJsonContext.Default);
        var frame = new byte[4 + json.Length];
        BinaryPrimitives.WriteInt32LittleEndian(frame, json.Length);
        json.CopyTo(frame, 4);
        return frame;
    }

    /// <summary>
    /// A JSON frame and, when <paramref name="pcm"/> holds samples, the PCM frame after it, laid out in
    /// <paramref name="buffer"/> (reused from message to message: no allocation and no fresh pages per sentence) and
    /// written with one call.
    /// </summary>
    public static void WriteResponse<T>(Stream stream, ArrayBufferWriter<byte> buffer, T value, TrimmedPcm pcm)
    {
        StartResponse(buffer, value);
        if (pcm.Length > 0)
        {
            var bytes = pcm.Length * sizeof(short);
            var span = buffer.GetSpan(4 + bytes)[..(4 + bytes)];
            BinaryPrimitives.WriteInt32LittleEndian(span, bytes);
            var samples = MemoryMarshal.Cast<byte, short>(span[4..]);
            samples[..pcm.Lead].Clear();
            pcm.Speech.CopyTo(samples[pcm.Lead..]);
            samples[(pcm.Lead + pcm.Speech.Length)..].Clear();
            buffer.Advance(span.Length);
        }
        stream.Write(buffer.WrittenSpan);
        stream.Flush();
    }

    /// <summary>A JSON frame and the frame of packed audio after it (<paramref name="packed"/>), laid out in <paramref name="buffer"/> and written with one call.</summary>
    public static void WritePackedResponse<T>(Stream stream, ArrayBufferWriter<byte> buffer, T value, ReadOnlySpan<byte> packed)
    {
        StartResponse(buffer, value);
        var span = buffer.GetSpan(4 + packed.Length);
        BinaryPrimitives.WriteInt32LittleEndian(span, packed.Length);
        packed.CopyTo(span[4..]);
        buffer.Advance(4 + packed.Length);
        stream.Write(buffer.WrittenSpan);
        stream.Flush();
    }

    /// <summary>Empties <paramref name="buffer"/> and lays out the response's JSON frame in it.</summary>
    private static void StartResponse<T>(ArrayBufferWriter<byte> buffer, T value)
    {
        buffer.ResetWrittenCount();
        var json = JsonSerializer.SerializeToUtf8Bytes(value, typeof(T), HostJsonContext.Default);
        var head = buffer.GetSpan(4 + json.Length);
        BinaryPrimitives.WriteInt32LittleEndian(head, json.Length);
        json.CopyTo(head[4..]);
        buffer.Advance(4 + json.Length);
    }

    /// <summary>
    /// Reads one frame of exactly <paramref name="length"/> bytes into a buffer rented from <see cref="ArrayPool{T}.Shared"/>
    /// (the caller returns it), or null at a clean end of stream.
    /// </summary>
    public static async ValueTask<byte[]?> ReadRentedFrameAsync(Stream stream, int length, CancellationToken ct)
    {
        if (await ReadLengthAsync(stream, ct) is not { } got) return null;
        if (got != length) throw new InvalidDataException("Engine host packed audio length mismatch.");
        var rented = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            if (!await ReadExactlyOrEndAsync(stream, rented.AsMemory(0, length), ct))
                throw new EndOfStreamException("The engine host stream ended inside a frame.");
            return rented;
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(rented);
            throw;
        }
    }

    /// <summary>Reads one frame, or null at a clean end of stream.</summary>
    public static async ValueTask<byte[]?> ReadFrameAsync(Stream stream, CancellationToken ct)
    {
        if (await ReadLengthAsync(stream, ct) is not { } length) return null;
        var payload = new byte[length];
        if (!await ReadExactlyOrEndAsync(stream, payload, ct))
            throw new EndOfStreamException("The engine host stream ended inside a frame.");
        return payload;
    }

    /// <summary>Reads one frame with blocking reads (the engine host's single thread), or null at a clean end of stream.</summary>
    public static byte[]? ReadFrame(Stream stream)
    {
        Span<byte> header = stackalloc byte[4];
        var got = stream.ReadAtLeast(header, header.Length, throwOnEndOfStream: false);
        if (got == 0) return null;
        if (got < header.Length) throw new EndOfStreamException("The engine host stream ended inside a frame.");
        var payload = new byte[CheckedLength(header)];
        stream.ReadExactly(payload);
        return payload;
    }

    /// <summary>
    /// Reads one frame that must hold exactly <paramref name="sampleCount"/> 16-bit samples straight
    /// into a new array, or null at a clean end of stream.
    /// </summary>
    public static async ValueTask<short[]?> ReadPcmFrameAsync(Stream stream, int sampleCount, CancellationToken ct)
    {
        if (await ReadLengthAsync(stream, ct) is not { } length) return null;
        if (length != sampleCount * 2) throw new InvalidDataException("Engine host audio length mismatch.");
        // Every element is overwritten by the read below: zeroing half a megabyte first would be wasted.
        var pcm = GC.AllocateUninitializedArray<short>(sampleCount);
        if (!await ReadExactlyOrEndAsync(stream, new PcmBytes(pcm).Memory, ct))
            throw new EndOfStreamException("The engine host stream ended inside a frame.");
        return pcm;
    }

    private static async ValueTask<int?> ReadLengthAsync(Stream stream, CancellationToken ct)
    {
        var header = new byte[4];
        if (!await ReadExactlyOrEndAsync(stream, header, ct)) return null;
        return CheckedLength(header);
    }

    private static int CheckedLength(ReadOnlySpan<byte> header)
    {
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length is < 0 or > MaxFrameBytes) throw new InvalidDataException($"Corrupt engine host frame length {length}.");
        return length;
    }

    public static T ReadJson<T>(byte[] frame) =>
        (T?)JsonSerializer.Deserialize(frame, typeof(T), HostJsonContext.Default)
        ?? throw new InvalidDataException("Empty engine host message.");

    private static async ValueTask<bool> ReadExactlyOrEndAsync(Stream stream, Memory<byte> buffer, CancellationToken ct)
    {
        var read = 0;
        while (read < buffer.Length)
        {
            var n = await stream.ReadAsync(buffer[read..], ct);
            if (n == 0)
            {
                if (read == 0) return false;
                throw new EndOfStreamException("The engine host stream ended inside a frame.");
            }
            read += n;
        }
        return true;
    }
}

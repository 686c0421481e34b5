using Orleans.Tts.Synthesis.Engines.Phonemes;
using System.Buffers.Binary;
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

internal sealed record HostRequest(string Op, IReadOnlyList<EspeakSegment>? Segments = null, EspeakProsody? Prosody = null, string? Voice = null, string? Text = null,
    string? Tie = null);

internal sealed record HostResponse(bool Ok, string? Error = null, int SampleRate = 0, int SampleCount = 0, string? Phonemes = null,
    IReadOnlyList<EspeakVoiceEntry>? Voices = null, string? Version = null, int ProcessId = 0, IReadOnlyList<PhonemeClause>? Clauses = null);

[JsonSerializable(typeof(HostRequest))]
[JsonSerializable(typeof(HostResponse))]
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
internal sealed partial class HostJsonContext : JsonSerializerContext;

/// <summary>
/// Length-prefixed frames over the engine host's stdin/stdout: a JSON request; a JSON response,
/// followed for syntheses by one frame of little-endian 16-bit PCM.
/// </summary>
internal static class HostFraming
{
    /// <summary>Upper bound of one frame; a larger length means a corrupt stream.</summary>
    public const int MaxFrameBytes = 256 * 1024 * 1024;

    public static async ValueTask WriteFrameAsync(Stream stream, ReadOnlyMemory<byte> payload, CancellationToken ct)
    {
        var header = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(header, payload.Length);
        await stream.WriteAsync(header, ct);
        await stream.WriteAsync(payload, ct);
    }

    /// <summary>One frame holding 16-bit PCM, written from the samples' own memory.</summary>
    public static ValueTask WritePcmFrameAsync(Stream stream, short[] pcm, CancellationToken ct) =>
        WriteFrameAsync(stream, new PcmBytes(pcm).Memory, ct);

    /// <summary>Reads one frame, or null at a clean end of stream.</summary>
    public static async ValueTask<byte[]?> ReadFrameAsync(Stream stream, CancellationToken ct)
    {
        if (await ReadLengthAsync(stream, ct) is not { } length) return null;
        var payload = new byte[length];
        if (!await ReadExactlyOrEndAsync(stream, payload, ct))
            throw new EndOfStreamException("The engine host stream ended inside a frame.");
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
        var pcm = new short[sampleCount];
        if (!await ReadExactlyOrEndAsync(stream, new PcmBytes(pcm).Memory, ct))
            throw new EndOfStreamException("The engine host stream ended inside a frame.");
        return pcm;
    }

    private static async ValueTask<int?> ReadLengthAsync(Stream stream, CancellationToken ct)
    {
        var header = new byte[4];
        if (!await ReadExactlyOrEndAsync(stream, header, ct)) return null;
        var length = BinaryPrimitives.ReadInt32LittleEndian(header);
        if (length is < 0 or > MaxFrameBytes) throw new InvalidDataException($"Corrupt engine host frame length {length}.");
        return length;
    }

    public static ValueTask WriteJsonAsync<T>(Stream stream, T value, CancellationToken ct) =>
        WriteFrameAsync(stream, JsonSerializer.SerializeToUtf8Bytes(value, typeof(T), HostJsonContext.Default), ct);

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

using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace Orleans.Tts.Synthesis;

/// <summary>
/// What a frontend asks a silo's internal endpoint: the synthesis's work items (sentences and pauses) from
/// <paramref name="FirstSentence"/> on, <paramref name="Count"/> of them (null: to the end). A range past the end is an
/// empty stream; the response's <see cref="SentenceFrames.TotalHeader"/> says how many items the whole request has.
/// </summary>
public sealed record RemoteSynthesisRequest(SynthesisRequest Request, int FirstSentence = 0, int? Count = null);

/// <summary>
/// The frontend↔silo wire format for synthesised sentences (<c>application/x-tts-sentences</c>): per sentence a
/// frame of int32 sample rate, int32 sample count (both little-endian), then the 16-bit little-endian samples;
/// a frame with sample rate 0 ends the stream, so a cut connection is never mistaken for the end.
/// </summary>
public static class SentenceFrames
{
    public const string ContentType = "application/x-tts-sentences";
    /// <summary>A whole <see cref="RemoteSynthesisRequest"/> (the silo plans the text and answers a range of its items); kept for frontends older than <see cref="PlannedPath"/>.</summary>
    public const string Path = "/internal/v1/synthesis";
    /// <summary>A <see cref="PlannedSynthesisRequest"/>: items the frontend has planned; a silo without this endpoint answers 404.</summary>
    public const string PlannedPath = "/internal/v2/sentences";
    /// <summary>Response header: the number of work items (sentences and pauses) of the whole request.</summary>
    public const string TotalHeader = "X-Tts-Sentences";
    /// <summary>Response header on a 503: the silo is draining before shutdown and takes no new work (try another, and not this one again).</summary>
    public const string DrainingHeader = "X-Tts-Draining";
    private const int MaxSamples = 64 * 1024 * 1024;

    public static async ValueTask WriteAsync(Stream stream, AudioClip clip, CancellationToken ct)
    {
        // Through one pooled buffer, never a second copy of the sentence (a few seconds of audio is a large-object-heap array).
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            BinaryPrimitives.WriteInt32LittleEndian(buffer, clip.SampleRate);
            BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(4), clip.Samples.Length);
            var used = 8;
            for (var next = 0; next < clip.Samples.Length || used > 0;)
            {
                var take = Math.Min(clip.Samples.Length - next, (ChunkBytes - used) / 2);
                Pcm16.WriteLittleEndian(clip.Samples.AsSpan(next, take), buffer.AsSpan(used, take * 2));
                next += take;
                await stream.WriteAsync(buffer.AsMemory(0, used + take * 2), ct);
                used = 0;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public static async ValueTask WriteEndAsync(Stream stream, CancellationToken ct) => await stream.WriteAsync(new byte[8], ct);

    /// <summary>The clips of a stream, in order; throws <see cref="EndOfStreamException"/> when it is cut before its end frame.</summary>
    public static async IAsyncEnumerable<AudioClip> ReadAsync(Stream stream, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var head = new byte[8];
        while (true)
        {
            await stream.ReadExactlyAsync(head, ct);
            var rate = BinaryPrimitives.ReadInt32LittleEndian(head);
            var count = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(4));
            if (rate == 0) yield break;
            if (rate < 0 || count < 0 || count > MaxSamples) throw new InvalidDataException($"Bad sentence frame: rate {rate}, {count} samples.");
            yield return new AudioClip(rate, await ReadSamplesAsync(stream, count, ct));
        }
    }

    private const int ChunkBytes = 64 * 1024;

    /// <summary><paramref name="count"/> samples read straight into their array through one pooled buffer (no second copy of the sentence).</summary>
    private static async ValueTask<short[]> ReadSamplesAsync(Stream stream, int count, CancellationToken ct)
    {
        var samples = new short[count];
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            for (var next = 0; next < count;)
            {
                var take = Math.Min(count - next, ChunkBytes / 2);
                await stream.ReadExactlyAsync(buffer.AsMemory(0, take * 2), ct);
                Pcm16.ReadLittleEndian(buffer.AsSpan(0, take * 2), samples.AsSpan(next, take));
                next += take;
            }
            return samples;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}

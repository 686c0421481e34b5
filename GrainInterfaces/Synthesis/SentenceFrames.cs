using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

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
        var bytes = new byte[8 + clip.Samples.Length * 2];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, clip.SampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(4), clip.Samples.Length);
        var samples = bytes.AsSpan(8);
        if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(clip.Samples.AsSpan()).CopyTo(samples);
        else for (var i = 0; i < clip.Samples.Length; i++) BinaryPrimitives.WriteInt16LittleEndian(samples[(i * 2)..], clip.Samples[i]);
        await stream.WriteAsync(bytes, ct);
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
            var bytes = new byte[count * 2];
            await stream.ReadExactlyAsync(bytes, ct);
            var samples = new short[count];
            for (var i = 0; i < count; i++) samples[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(i * 2));
            yield return new AudioClip(rate, samples);
        }
    }
}

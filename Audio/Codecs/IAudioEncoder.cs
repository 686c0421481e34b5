using System.Buffers;

namespace Orleans.Tts.Audio.Codecs;

/// <summary>
/// Incremental encoder of mono 16-bit PCM. <see cref="Write"/> takes samples at <see cref="InputSampleRate"/> in chunks of
/// any size and emits the bytes of every frame completed so far; <see cref="Complete"/> flushes the rest. The concatenated
/// output is a playable stream even when it is sent as it is produced.
/// </summary>
public interface IAudioEncoder : IDisposable
{
    string Format { get; }
    string ContentType { get; }
    int InputSampleRate { get; }

    void Write(ReadOnlySpan<short> samples, IBufferWriter<byte> output);

    void Complete(IBufferWriter<byte> output);

    /// <summary>
    /// After <see cref="Complete"/>: bytes that replace the start of the output (e.g. a WAV header with the real length,
    /// MP3 gapless info, FLAC STREAMINFO with the sample count) when the whole output is still at hand. Optional for streams.
    /// </summary>
    IReadOnlyList<HeaderPatch> Patches { get; }
}

/// <summary><paramref name="Bytes"/> to write over the output at byte <paramref name="Offset"/>.</summary>
public sealed record HeaderPatch(long Offset, byte[] Bytes);

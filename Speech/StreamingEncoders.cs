using Orleans.Tts.Audio.Codecs;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Speech;

/// <summary>Turns the clips of a stream, one sentence at a time, into the bytes of one audio file.</summary>
public interface IStreamingEncoder : IDisposable
{
    string ContentType { get; }

    /// <summary>The bytes for the next clip (the first call also carries any header).</summary>
    byte[] Encode(AudioClip clip);

    /// <summary>Bytes to end the stream (a header when no clip came at all, a trailer, or nothing).</summary>
    byte[] Finish(int sampleRate);
}

public static class StreamingEncoders
{
    /// <summary>Formats that can be streamed sentence by sentence.</summary>
    public static readonly IReadOnlyList<string> Supported = AudioEncoders.Formats;

    /// <summary>
    /// The format's incremental encoder, sending each clip's frames as they complete and keeping nothing: WAV with the
    /// unknown-length header (sizes 0xFFFFFFFF), raw PCM through the streaming resampler, mp3/opus/flac without the
    /// end-of-file header patches (which need the whole output). The bytes are those of <see cref="AudioEncoders.Streamed"/>.
    /// </summary>
    public static IStreamingEncoder Create(string format) =>
        Supported.Contains(format)
            ? new Encoder(new WholeFileEncoder(format, keepWhole: false))
            : throw new ArgumentOutOfRangeException(nameof(format), format, $"Streaming supports {string.Join(", ", Supported)}.");

    private sealed class Encoder(WholeFileEncoder file) : IStreamingEncoder
    {
        public string ContentType => file.ContentType;

        public byte[] Encode(AudioClip clip)
        {
            file.Add(clip);
            return file.TakeNew();
        }

        public byte[] Finish(int sampleRate)
        {
            file.Complete(sampleRate);
            return file.TakeNew();
        }

        public void Dispose() => file.Dispose();
    }
}

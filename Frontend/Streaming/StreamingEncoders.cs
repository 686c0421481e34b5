using Orleans.Tts.Audio;
using Orleans.Tts.Frontend.Speech;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Frontend.Streaming;

/// <summary>Turns the clips of a stream, one sentence at a time, into the bytes of one audio file.</summary>
public interface IStreamingEncoder
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
    public static readonly IReadOnlyList<string> Supported = ["wav", "pcm"];

    public static IStreamingEncoder Create(string format) => format switch
    {
        "wav" => new StreamingWavEncoder(),
        "pcm" => new PcmEncoder(),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, $"Streaming supports {string.Join(", ", Supported)}."),
    };

    /// <summary>WAV whose RIFF and data sizes are 0xFFFFFFFF (unknown length), as players expect of a stream.</summary>
    private sealed class StreamingWavEncoder : IStreamingEncoder
    {
        private bool _headerSent;

        public string ContentType => "audio/wav";

        public byte[] Encode(AudioClip clip)
        {
            var pcm = WavWriter.EncodePcm(clip.Samples);
            if (_headerSent) return pcm;
            _headerSent = true;
            return [.. WavWriter.Header(clip.SampleRate, uint.MaxValue), .. pcm];
        }

        public byte[] Finish(int sampleRate) => _headerSent ? [] : WavWriter.Header(sampleRate, uint.MaxValue);
    }

    /// <summary>OpenAI's raw PCM: 16-bit little-endian mono at 24 kHz, each sentence resampled on its own.</summary>
    private sealed class PcmEncoder : IStreamingEncoder
    {
        public string ContentType => "audio/pcm";

        public byte[] Encode(AudioClip clip) =>
            WavWriter.EncodePcm(Resampler.Resample(clip.Samples, clip.SampleRate, OutputFormats.PcmSampleRate));

        public byte[] Finish(int sampleRate) => [];
    }
}

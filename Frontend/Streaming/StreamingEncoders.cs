using System.Buffers;
using Orleans.Tts.Audio;
using Orleans.Tts.Audio.Codecs;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Frontend.Streaming;

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

    public static IStreamingEncoder Create(string format) => format switch
    {
        "wav" => new StreamingWavEncoder(),
        "pcm" => new PcmEncoder(),
        "mp3" or "opus" or "flac" => new CodecEncoder(format),
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

        public void Dispose() { }
    }

    /// <summary>OpenAI's raw PCM: 16-bit little-endian mono at 24 kHz, each sentence resampled on its own.</summary>
    private sealed class PcmEncoder : IStreamingEncoder
    {
        public string ContentType => "audio/pcm";

        public byte[] Encode(AudioClip clip) =>
            WavWriter.EncodePcm(Resampler.Resample(clip.Samples, clip.SampleRate, AudioEncoders.PcmSampleRate));

        public byte[] Finish(int sampleRate) => [];

        public void Dispose() { }
    }

    /// <summary>
    /// mp3, opus and flac through the incremental encoders of <see cref="AudioEncoders"/>, created at the first clip's rate
    /// (every clip of a stream has the request voice's rate). Each clip emits the frames it completes; the rest at the end.
    /// Header patches (gapless info, sample counts) need the whole output and are left out of a stream.
    /// </summary>
    private sealed class CodecEncoder(string format) : IStreamingEncoder
    {
        private readonly ArrayBufferWriter<byte> _output = new();
        private IAudioEncoder? _encoder;

        public string ContentType => AudioEncoders.ContentType(format);

        public byte[] Encode(AudioClip clip)
        {
            _encoder ??= AudioEncoders.Create(format, clip.SampleRate);
            if (clip.SampleRate == _encoder.InputSampleRate) _encoder.Write(clip.Samples, _output);
            else _encoder.Write(Resampler.Resample(clip.Samples, clip.SampleRate, _encoder.InputSampleRate), _output);
            return Take();
        }

        public byte[] Finish(int sampleRate)
        {
            _encoder ??= AudioEncoders.Create(format, sampleRate);
            _encoder.Complete(_output);
            return Take();
        }

        private byte[] Take()
        {
            var bytes = _output.WrittenSpan.ToArray();
            _output.ResetWrittenCount();
            return bytes;
        }

        public void Dispose() => _encoder?.Dispose();
    }
}

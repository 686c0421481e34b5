using System.Buffers;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Audio.Codecs;

/// <summary>The <c>response_format</c> values OpenAI defines, and the encoder for each.</summary>
public static class AudioEncoders
{
    /// <summary>OpenAI's <c>pcm</c>: raw 16-bit little-endian mono at 24 kHz.</summary>
    public const int PcmSampleRate = 24000;

    public static readonly IReadOnlyList<string> Formats = ["mp3", "opus", "flac", "wav", "pcm"];

    /// <summary>The media type OpenAI answers each format with.</summary>
    public static string ContentType(string format) => format switch
    {
        "wav" => "audio/wav",
        "pcm" => "audio/pcm",
        "mp3" => "audio/mpeg",
        "opus" => "audio/opus",
        "flac" => "audio/flac",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, $"Supported formats: {string.Join(", ", Formats)}."),
    };

    public static IAudioEncoder Create(string format, int inputSampleRate) => format switch
    {
        "wav" => new WavEncoder(inputSampleRate),
        "pcm" => new PcmEncoder(inputSampleRate, PcmSampleRate),
        "mp3" => new Mp3Encoder(inputSampleRate),
        "opus" => new OpusEncoder(inputSampleRate),
        "flac" => new FlacEncoder(inputSampleRate),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, $"Supported formats: {string.Join(", ", Formats)}."),
    };

    /// <summary>Encodes a whole clip, with the encoder's header patches applied.</summary>
    public static byte[] Encode(AudioClip clip, string format)
    {
        using var file = new WholeFileEncoder(format, Math.Max(256, clip.Samples.Length));
        file.Add(clip);
        return file.Finish(clip.SampleRate);
    }
}

/// <summary>
/// A whole file built clip by clip (a request's sentences as they are synthesised, so encoding overlaps synthesis): the
/// same bytes as <see cref="AudioEncoders.Encode"/> of the clips joined, header patches included. The encoder is created at
/// the first clip's rate; a clip at another rate is resampled to it.
/// </summary>
public sealed class WholeFileEncoder(string format, int initialCapacity = 256) : IDisposable
{
    private readonly ArrayBufferWriter<byte> _output = new(initialCapacity);
    private IAudioEncoder? _encoder;

    private long _samples;

    /// <summary>The audio added so far (as one clip at the first clip's rate would give it).</summary>
    public double Seconds => _encoder is null ? 0 : (double)_samples / _encoder.InputSampleRate;

    public void Add(AudioClip clip)
    {
        _encoder ??= AudioEncoders.Create(format, clip.SampleRate);
        var samples = clip.SampleRate == _encoder.InputSampleRate ? clip.Samples : Resampler.Resample(clip.Samples, clip.SampleRate, _encoder.InputSampleRate);
        _encoder.Write(samples, _output);
        _samples += samples.Length;
    }

    /// <summary>The file; <paramref name="sampleRate"/> is used only when no clip was added.</summary>
    public byte[] Finish(int sampleRate)
    {
        _encoder ??= AudioEncoders.Create(format, sampleRate);
        _encoder.Complete(_output);
        var bytes = _output.WrittenSpan.ToArray();
        foreach (var patch in _encoder.Patches)
            if (patch.Offset + patch.Bytes.Length <= bytes.Length) patch.Bytes.CopyTo(bytes, patch.Offset);
        return bytes;
    }

    public void Dispose() => _encoder?.Dispose();
}

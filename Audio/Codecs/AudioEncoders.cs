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
        // WAV is a header and the samples as they are: written straight into an array of the exact size (the same bytes
        // WavEncoder gives once its header patch is applied), not grown and then copied.
        if (format == "wav") return WavWriter.Encode(clip);
        using var encoder = Create(format, clip.SampleRate);
        var output = new ArrayBufferWriter<byte>(Math.Max(256, clip.Samples.Length));
        encoder.Write(clip.Samples, output);
        encoder.Complete(output);
        var bytes = output.WrittenSpan.ToArray();
        foreach (var patch in encoder.Patches)
            if (patch.Offset + patch.Bytes.Length <= bytes.Length) patch.Bytes.CopyTo(bytes, patch.Offset);
        return bytes;
    }
}

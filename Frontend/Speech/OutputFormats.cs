using Orleans.Tts.Audio;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Frontend.Speech;

/// <summary>The <c>response_format</c> values and how each is produced.</summary>
public static class OutputFormats
{
    /// <summary>OpenAI's <c>pcm</c>: raw 16-bit little-endian mono at 24 kHz.</summary>
    public const int PcmSampleRate = 24000;

    public static readonly IReadOnlyList<string> Supported = ["wav", "pcm"];
    public static readonly IReadOnlyList<string> Planned = ["mp3", "opus", "aac", "flac"];

    public static string ContentType(string format) => format switch
    {
        "wav" => "audio/wav",
        "pcm" => "audio/pcm",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unsupported format."),
    };

    public static byte[] Encode(AudioClip clip, string format) => format switch
    {
        "wav" => WavWriter.Encode(clip),
        "pcm" => WavWriter.EncodePcm(Resampler.Resample(clip.Samples, clip.SampleRate, PcmSampleRate)),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, "Unsupported format."),
    };
}

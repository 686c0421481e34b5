using Orleans.Tts.Audio.Codecs;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Speech;

/// <summary>The <c>response_format</c> values and how each is produced.</summary>
public static class OutputFormats
{
    /// <summary>OpenAI's default when <c>response_format</c> is omitted.</summary>
    public const string Default = "mp3";

    public static readonly IReadOnlyList<string> Supported = AudioEncoders.Formats;

    public static string ContentType(string format) => AudioEncoders.ContentType(format);

    public static byte[] Encode(AudioClip clip, string format) => AudioEncoders.Encode(clip, format);
}

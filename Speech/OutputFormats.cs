using Orleans.Tts.Audio.Codecs;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Speech;

/// <summary>The <c>response_format</c> values and how each is produced.</summary>
public static class OutputFormats
{
    /// <summary>OpenAI's default when <c>response_format</c> is omitted.</summary>
    public const string Default = "mp3";

    public static readonly IReadOnlyList<string> Supported = AudioEncoders.Formats;

    /// <summary>Formats OpenAI defines that this server declines, with the reason.</summary>
    public static readonly IReadOnlyDictionary<string, string> Unavailable = new Dictionary<string, string>
    {
        ["aac"] = "'aac' is not available: this server encodes with Debian's libraries, whose only AAC encoder is FFmpeg's libavcodec, " +
                  "too large an API to bind for one format. Use 'mp3' for the widest compatibility or 'opus' for the smallest files.",
    };

    public static string ContentType(string format) => AudioEncoders.ContentType(format);

    public static byte[] Encode(AudioClip clip, string format) => AudioEncoders.Encode(clip, format);
}

namespace Orleans.Tts.Frontend;

/// <summary>The REST API's own limits; those of a synthesis, the same for every caller, are <see cref="Orleans.Tts.Speech.SpeechOptions"/>.</summary>
public sealed class FrontendOptions
{
    /// <summary>Most speakers the cluster keeps (<c>TTS_MAX_SPEAKERS</c>): creating one more is refused with 409, so clients cannot grow storage without bound.</summary>
    public int MaxSpeakers { get; set; } = 10_000;

    /// <summary>Largest request body accepted: room for the longest input escaped as \uXXXX plus the other fields.</summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>The body limit for inputs of at most <paramref name="maxInputChars"/> characters.</summary>
    public static long BodyBytesFor(int maxInputChars) => Math.Max(64 * 1024, maxInputChars * 12L + 8 * 1024);
}

namespace Orleans.Tts.Frontend;

public sealed class FrontendOptions
{
    /// <summary>Longest <c>input</c> in characters (<c>TTS_MAX_INPUT_CHARS</c>).</summary>
    public int MaxInputChars { get; set; } = 4096;

    /// <summary>Longest sentence the planner synthesises in one piece (<c>TTS_MAX_SENTENCE_CHARS</c>): bounds the first sentence an admission deadline covers.</summary>
    public int MaxSentenceChars { get; set; } = 300;

    /// <summary>OpenAI voice names and the voices they stand for.</summary>
    public Dictionary<string, string> VoiceAliases { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["alloy"] = "espeak:en-us",
        ["ash"] = "espeak:en-us",
        ["ballad"] = "espeak:en-gb",
        ["coral"] = "espeak:en-us",
        ["echo"] = "espeak:en-us",
        ["fable"] = "espeak:en-gb",
        ["onyx"] = "espeak:en-us",
        ["nova"] = "espeak:en-us",
        ["sage"] = "espeak:en-gb",
        ["shimmer"] = "espeak:en-us",
        ["verse"] = "espeak:en-gb",
    };

    /// <summary>Voice → cheaper fallback voice for long text under saturation (<c>TTS_FALLBACK_VOICES</c>, <c>a=b,c=d</c>).</summary>
    public Dictionary<string, string> FallbackVoices { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Most speakers the cluster keeps (<c>TTS_MAX_SPEAKERS</c>): creating one more is refused with 409, so clients cannot grow storage without bound.</summary>
    public int MaxSpeakers { get; set; } = 10_000;

    /// <summary>Largest request body accepted: room for the longest input escaped as \uXXXX plus the other fields.</summary>
    public long MaxRequestBodyBytes => Math.Max(64 * 1024, MaxInputChars * 12L + 8 * 1024);
}

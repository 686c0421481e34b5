using Microsoft.Extensions.Configuration;

namespace Orleans.Tts.Speech;

/// <summary>The limits and voice names of a synthesis, the same for every caller (REST or Orleans).</summary>
public sealed class SpeechOptions
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
        ["marin"] = "espeak:en-us",
        ["cedar"] = "espeak:en-gb",
    };

    /// <summary>Voice → cheaper fallback voice for long text under saturation (<c>TTS_FALLBACK_VOICES</c>, <c>a=b,c=d</c>).</summary>
    public Dictionary<string, string> FallbackVoices { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>From TTS_MAX_INPUT_CHARS, TTS_MAX_SENTENCE_CHARS and TTS_FALLBACK_VOICES.</summary>
    public static SpeechOptions From(IConfiguration config)
    {
        var options = new SpeechOptions
        {
            MaxInputChars = Setting.PositiveInt(config, "TTS_MAX_INPUT_CHARS", 4096),
            MaxSentenceChars = Orleans.Tts.Synthesis.SynthesisServiceExtensions.MaxSentenceChars(config),
        };
        foreach (var pair in (config["TTS_FALLBACK_VOICES"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = pair.Split('=', 2, StringSplitOptions.TrimEntries);
            if (parts.Length != 2 || parts[0].Length == 0 || parts[1].Length == 0)
                throw new InvalidOperationException($"Setting TTS_FALLBACK_VOICES has an invalid entry '{pair}': use voice=fallback pairs separated by commas.");
            options.FallbackVoices[parts[0]] = parts[1];
        }
        return options;
    }
}

using System.Text.Json.Serialization;

namespace Orleans.Tts.Frontend.Streaming;

/// <summary>OpenAI's speech stream events (<c>stream_format: "sse"</c>).</summary>
public sealed record SpeechAudioDelta(
    [property: JsonPropertyName("audio")] string Audio)
{
    [JsonPropertyName("type"), JsonPropertyOrder(-1)] public string Type => "speech.audio.delta";
}

/// <param name="InputTokens">Characters of input (this server bills no tokens; characters are its unit).</param>
/// <param name="OutputTokens">Milliseconds of audio produced.</param>
public sealed record SpeechUsage(
    [property: JsonPropertyName("input_tokens")] int InputTokens,
    [property: JsonPropertyName("output_tokens")] int OutputTokens)
{
    [JsonPropertyName("total_tokens")] public int TotalTokens => InputTokens + OutputTokens;
}

public sealed record SpeechAudioDone(
    [property: JsonPropertyName("usage")] SpeechUsage Usage)
{
    [JsonPropertyName("type"), JsonPropertyOrder(-1)] public string Type => "speech.audio.done";
}

/// <summary>Sent instead of <c>speech.audio.done</c> when synthesis fails after the stream began.</summary>
public sealed record SpeechStreamError(
    [property: JsonPropertyName("error")] SpeechStreamErrorDetail Error)
{
    [JsonPropertyName("type"), JsonPropertyOrder(-1)] public string Type => "error";
}

public sealed record SpeechStreamErrorDetail(
    [property: JsonPropertyName("message")] string Message,
    [property: JsonPropertyName("type")] string Type = "server_error");

/// <summary>
/// Extension (asked with <c>timestamps: "word"</c>): the words of the sentence whose <c>speech.audio.delta</c> came just before,
/// timed from the start of the whole audio. Clients that do not know the type skip it, as OpenAI's SDKs do.
/// </summary>
public sealed record SpeechAudioWords(
    [property: JsonPropertyName("words")] IReadOnlyList<SpeechStreamer.WordJson> Words)
{
    [JsonPropertyName("type"), JsonPropertyOrder(-1)] public string Type => "speech.audio.words";
}

using System.Text.Json.Serialization;

namespace Orleans.Tts.Frontend.Speech;

/// <summary>Body of <c>POST /v1/audio/speech</c>, compatible with OpenAI's.</summary>
public sealed record SpeechRequest(
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("input")] string? Input,
    [property: JsonPropertyName("voice")] string? Voice,
    [property: JsonPropertyName("response_format")] string? ResponseFormat,
    [property: JsonPropertyName("speed")] double? Speed,
    [property: JsonPropertyName("pitch")] double? Pitch,
    [property: JsonPropertyName("stream_format")] string? StreamFormat,
    [property: JsonPropertyName("max_wait_ms")] double? MaxWaitMs = null);

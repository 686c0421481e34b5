using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orleans.Tts.Frontend.Speech;

/// <summary>Body of <c>POST /v1/audio/speech</c>, compatible with OpenAI's.</summary>
/// <param name="Voice">A voice name or id, or OpenAI's custom-voice object <c>{"id": "…"}</c> (its id: any voice id or <c>speaker:&lt;id&gt;</c>).</param>
/// <param name="Instructions">OpenAI's style prompt: accepted and not applied (no engine here takes a prompt; the README says so).</param>
/// <param name="Timestamps">Extension: <c>word</c> adds word timings mapped to <c>input</c> (SSE: <c>speech.audio.words</c> events; whole
/// file: a JSON body with the audio in base64 and the words).</param>
public sealed record SpeechRequest(
    [property: JsonPropertyName("model")] string? Model,
    [property: JsonPropertyName("input")] string? Input,
    [property: JsonPropertyName("voice"), JsonConverter(typeof(VoiceFieldConverter))] string? Voice,
    [property: JsonPropertyName("response_format")] string? ResponseFormat,
    [property: JsonPropertyName("speed")] double? Speed,
    [property: JsonPropertyName("pitch")] double? Pitch,
    [property: JsonPropertyName("stream_format")] string? StreamFormat,
    [property: JsonPropertyName("max_wait_ms")] double? MaxWaitMs = null,
    [property: JsonPropertyName("instructions")] string? Instructions = null,
    [property: JsonPropertyName("timestamps")] string? Timestamps = null);

/// <summary>A <c>voice</c> that is not a string, nor an object whose <c>id</c> is one.</summary>
public sealed class VoiceFieldException(string message) : JsonException(message);

/// <summary><c>voice</c> as a string, or as OpenAI's voice object (the official SDKs send <c>{"id": "…"}</c> for custom voices).</summary>
public sealed class VoiceFieldConverter : JsonConverter<string?>
{
    public override bool HandleNull => true;

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Null: return null;
            case JsonTokenType.String: return reader.GetString();
            case JsonTokenType.StartObject:
                string? id = null;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var name = reader.GetString();
                    reader.Read();
                    if (name == "id")
                    {
                        if (reader.TokenType != JsonTokenType.String)
                            throw new VoiceFieldException("The voice object's 'id' must be a string: a voice id from /v1/voices, an OpenAI voice name or speaker:<id>.");
                        id = reader.GetString();
                    }
                    else reader.Skip();
                }
                return id ?? throw new VoiceFieldException("The voice object has no 'id': send {\"id\": \"<voice id or speaker:<id>>\"}, or the voice as a string.");
            default:
                throw new VoiceFieldException($"'voice' must be a string or an object with a string 'id'; got {reader.TokenType.ToString().ToLowerInvariant()}.");
        }
    }

    public override void Write(Utf8JsonWriter writer, string? value, JsonSerializerOptions options) => writer.WriteStringValue(value);
}

namespace Orleans.Tts.Voices;

/// <summary>A voice a silo can speak with, as listed by <c>GET /v1/voices</c>.</summary>
/// <param name="Id">Stable id used in requests, e.g. <c>espeak:en-us</c>.</param>
/// <param name="Name">Human-readable name.</param>
/// <param name="Engine">Engine that renders it (<c>espeak</c>, later <c>piper</c>, <c>kokoro</c>).</param>
/// <param name="Languages">BCP-47-ish language codes, primary first.</param>
/// <param name="SampleRate">Native output rate in Hz.</param>
/// <param name="Gender"><c>male</c>, <c>female</c> or null when unknown.</param>
/// <param name="Speakers">Speaker names of a multi-speaker model (each also has its own voice id), else null.</param>
/// <param name="Cost">What a sentence costs to render: <see cref="VoiceCost.Cheap"/> (eSpeak NG) or <see cref="VoiceCost.Expensive"/>
/// (neural Piper and Kokoro voices, tens of times the CPU). Long text for an expensive voice falls back to <paramref name="Fallback"/>
/// when the cluster is saturated.</param>
/// <param name="Fallback">The cheaper voice used then (set by <c>GET /v1/voices</c>: <c>TTS_FALLBACK_VOICES</c>, else the eSpeak
/// voice of the voice's language); null for cheap voices.</param>
[GenerateSerializer, Alias("tts.VoiceInfo")]
public sealed record VoiceInfo(
    [property: Id(0)] string Id,
    [property: Id(1)] string Name,
    [property: Id(2)] string Engine,
    [property: Id(3)] IReadOnlyList<string> Languages,
    [property: Id(4)] int SampleRate,
    [property: Id(5)] string? Gender = null,
    [property: Id(6)] IReadOnlyList<string>? Speakers = null,
    [property: Id(7)] string Cost = VoiceCost.Cheap,
    [property: Id(8)] string? Fallback = null);

/// <summary>The render cost classes of voices.</summary>
public static class VoiceCost
{
    public const string Cheap = "cheap";
    public const string Expensive = "expensive";
}

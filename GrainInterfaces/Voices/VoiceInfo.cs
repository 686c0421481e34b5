namespace Orleans.Tts.Voices;

/// <summary>A voice a silo can speak with, as listed by <c>GET /v1/voices</c>.</summary>
/// <param name="Id">Stable id used in requests, e.g. <c>espeak:en-us</c>.</param>
/// <param name="Name">Human-readable name.</param>
/// <param name="Engine">Engine that renders it (<c>espeak</c>, later <c>piper</c>, <c>kokoro</c>).</param>
/// <param name="Languages">BCP-47-ish language codes, primary first.</param>
/// <param name="SampleRate">Native output rate in Hz.</param>
/// <param name="Gender"><c>male</c>, <c>female</c> or null when unknown.</param>
/// <param name="Speakers">Speaker names of a multi-speaker model (each also has its own voice id), else null.</param>
public sealed record VoiceInfo(
    string Id,
    string Name,
    string Engine,
    IReadOnlyList<string> Languages,
    int SampleRate,
    string? Gender = null,
    IReadOnlyList<string>? Speakers = null);

using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Speech;

/// <summary>
/// Maps what a client calls a voice to a voice id: an exact id (<c>espeak:en-us</c>), an id
/// without its engine (<c>en-us</c>) when only one engine has it, an OpenAI name (<c>alloy</c>), or a
/// blend of voices (<c>kokoro:af_bella*0.7+af_sky*0.3</c>, engine prefix optional).
/// </summary>
public sealed class VoiceResolver(ISynthesisWorker worker, SpeechOptions options)
{
    public const string DefaultVoice = "alloy";

    public sealed record Resolution(string? VoiceId, SpeechRequestInvalidException? Error);

    public async ValueTask<Resolution> ResolveAsync(string? requested, CancellationToken ct)
    {
        var name = string.IsNullOrWhiteSpace(requested) ? DefaultVoice : requested.Trim();
        var voices = await worker.GetVoicesAsync(ct);
        if (options.VoiceAliases.TryGetValue(name, out var aliased)) name = aliased;

        var exact = voices.FirstOrDefault(v => v.Id.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (exact is not null) return new(exact.Id, null);

        var bare = voices.Where(v => v.Id[(v.Id.IndexOf(':') + 1)..].Equals(name, StringComparison.OrdinalIgnoreCase)).ToList();
        if (bare.Count == 1) return new(bare[0].Id, null);

        // A blend (kokoro:af_bella*0.7+af_sky*0.3) is composed by its engine, which checks it.
        if (name.Contains('+') || name.Contains('*'))
        {
            if (name.Contains(':')) return new(name, null);
            var first = name.Split('+', '*')[0].Trim();
            var engine = voices.FirstOrDefault(v => v.Id[(v.Id.IndexOf(':') + 1)..].Equals(first, StringComparison.OrdinalIgnoreCase))?.Engine;
            if (engine is not null) return new($"{engine}:{name}", null);
        }

        var shown = name.Length > 100 ? name[..100] + "…" : name;
        var suggestions = voices
            .Where(v => v.Id.Contains(name, StringComparison.OrdinalIgnoreCase) || v.Languages.Any(l => l.StartsWith(name, StringComparison.OrdinalIgnoreCase)))
            .Select(v => v.Id).Take(10).ToList();
        var hint = suggestions.Count > 0 ? $" Did you mean: {string.Join(", ", suggestions)}?" : "";
        return new(null, SpeechValidation.Invalid("Unknown voice",
            $"There is no voice '{shown}'. GET /v1/voices lists the {voices.Count} valid ids; OpenAI names ({string.Join(", ", options.VoiceAliases.Keys)}) work too.{hint}",
            new Dictionary<string, object?> { ["voicesUrl"] = "/v1/voices", ["suggestions"] = suggestions }));
    }

    /// <summary>
    /// Engine and model versions (<see cref="ModelVersion"/>, from the worker pool's details; a frontend's are the silos'): part
    /// of every result cache key. Read on every request, because POST /admin/models/reload can change the models while the silo runs.
    /// </summary>
    public ValueTask<string> ModelVersionAsync(CancellationToken ct) => ValueTask.FromResult(ModelVersion.Of(worker.Status.Detail));

    /// <summary>Every voice the silos serve.</summary>
    public ValueTask<IReadOnlyList<VoiceInfo>> ListAsync(CancellationToken ct) => worker.GetVoicesAsync(ct);

    /// <summary>
    /// The cheaper voice a long request for an expensive voice (<see cref="VoiceCost.Expensive"/>: Piper, Kokoro) falls back to
    /// when the cluster is saturated: TTS_FALLBACK_VOICES (<c>voice=fallback,…</c>, which may name any voice) first; otherwise
    /// the eSpeak voice of its language. A Kokoro blend falls back as its first voice does. Cheap voices have none.
    /// </summary>
    public async ValueTask<string?> FallbackForAsync(string voiceId, CancellationToken ct) =>
        options.FallbackVoices.TryGetValue(voiceId, out var configured) ? configured : Fallback(voiceId, await worker.GetVoicesAsync(ct));

    /// <summary>Every voice with its fallback filled in (for <c>GET /v1/voices</c>).</summary>
    public async ValueTask<IReadOnlyList<VoiceInfo>> ListWithFallbacksAsync(CancellationToken ct)
    {
        var voices = await worker.GetVoicesAsync(ct);
        return [.. voices.Select(v => v with { Fallback = options.FallbackVoices.GetValueOrDefault(v.Id) ?? Fallback(v.Id, voices) })];
    }

    private static string? Fallback(string voiceId, IReadOnlyList<VoiceInfo> voices)
    {
        var voice = voices.FirstOrDefault(v => v.Id.Equals(voiceId, StringComparison.OrdinalIgnoreCase));
        if (voice is null && voiceId.IndexOf(':') is var colon and > 0 && (voiceId.Contains('+') || voiceId.Contains('*')))
        {
            var first = voiceId[..colon] + ":" + voiceId[(colon + 1)..].Split('+', '*')[0].Trim();
            voice = voices.FirstOrDefault(v => v.Id.Equals(first, StringComparison.OrdinalIgnoreCase));
        }
        if (voice is not { Cost: VoiceCost.Expensive } || voice.Languages.Count == 0) return null;
        var language = voice.Languages[0];
        var espeak = voices.Where(v => v.Engine == "espeak").ToList();
        return (espeak.FirstOrDefault(v => v.Languages.Any(l => l.Equals(language, StringComparison.OrdinalIgnoreCase)))
            ?? espeak.FirstOrDefault(v => v.Languages.Any(l => l.Split('-')[0].Equals(language.Split('-')[0], StringComparison.OrdinalIgnoreCase))))?.Id;
    }
}

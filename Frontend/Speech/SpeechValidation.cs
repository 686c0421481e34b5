using System.Text;
using Microsoft.AspNetCore.Http;
using Orleans.Tts.Frontend.Problems;
using Orleans.Tts.Frontend.Voices;
using Orleans.Tts.Speakers;
using Orleans.Tts.Synthesis;

using Orleans.Tts.Frontend.Speakers;

namespace Orleans.Tts.Frontend.Speech;

/// <summary>The checks a speech body gets, shared by <c>/v1/audio/speech</c> and <c>/v1/jobs</c>: each failure is a problem saying what is allowed.</summary>
public static class SpeechValidation
{
    /// <summary>input present, within <paramref name="maxChars"/> characters (413 otherwise, with <paramref name="tooLongAdvice"/>), and speakable.</summary>
    public static IResult? Input(string? input, int maxChars, string tooLongAdvice, out int length)
    {
        length = 0;
        if (input is null) return Problem.BadRequest("Missing input", "The field 'input' is required: the text to speak.");
        length = input.EnumerateRunes().Count();
        if (length > maxChars)
            return Problem.Of(StatusCodes.Status413PayloadTooLarge, "Input too long",
                $"'input' has {length} characters; at most {maxChars} are allowed here. {tooLongAdvice}",
                new Dictionary<string, object?> { ["maxInputChars"] = maxChars, ["inputChars"] = length, ["jobsUrl"] = "/v1/jobs" });
        if (string.IsNullOrWhiteSpace(input)) return Problem.BadRequest("Empty input", "The field 'input' is empty: give the text to speak.");
        if (!input.EnumerateRunes().Any(Rune.IsLetterOrDigit))
            return Problem.BadRequest("Nothing to speak", "The field 'input' contains no letters or digits to speak.");
        return null;
    }

    /// <summary>response_format one of <see cref="OutputFormats.Supported"/> (default mp3); <paramref name="format"/> is it normalised.</summary>
    public static IResult? Format(string? responseFormat, out string format)
    {
        format = (responseFormat ?? OutputFormats.Default).Trim().ToLowerInvariant();
        if (OutputFormats.Supported.Contains(format)) return null;
        var reason = OutputFormats.Unavailable.TryGetValue(format, out var why) ? $" {why}" : "";
        return Problem.BadRequest("Unsupported response_format",
            $"response_format '{Problem.Echo(responseFormat)}' is not supported.{reason} Supported: {string.Join(", ", OutputFormats.Supported)}.",
            new Dictionary<string, object?> { ["supported"] = OutputFormats.Supported });
    }

    /// <summary>speed, pitch and model within their ranges.</summary>
    public static IResult? Prosody(double? speed, double? pitch, string? model)
    {
        var s = speed ?? 1.0;
        if (!double.IsFinite(s) || s < SynthesisRequest.MinSpeed || s > SynthesisRequest.MaxSpeed)
            return Problem.BadRequest("Bad speed", $"speed must be a number from {SynthesisRequest.MinSpeed} to {SynthesisRequest.MaxSpeed}; got {speed}.");
        var p = pitch ?? 0.0;
        if (!double.IsFinite(p) || p < SynthesisRequest.MinPitch || p > SynthesisRequest.MaxPitch)
            return Problem.BadRequest("Bad pitch", $"pitch is a shift in semitones from {SynthesisRequest.MinPitch} to {SynthesisRequest.MaxPitch}; got {pitch}.");
        if (model is { Length: > 256 }) return Problem.BadRequest("Bad model", "'model' is at most 256 characters.");
        return null;
    }

    /// <summary>The speaker of <c>speaker:&lt;id&gt;</c>, or the problem: 400 for an unknown one (or an id no speaker can have).</summary>
    public static async Task<(SpeakerProfile? Speaker, IResult? Problem)> SpeakerAsync(HttpContext http, ISpeakerDirectory speakers, string speakerId, CancellationToken ct)
    {
        var speaker = SpeakerIds.IsValid(speakerId) ? await speakers.GetSpeaker(speakerId).GetAsync(ct) : null;
        return speaker is not null
            ? (speaker, null)
            : (null, Problem.BadRequest("Unknown speaker", $"There is no speaker '{SpeakersApi.Shown(speakerId)}'. GET /v1/speakers lists them; POST /v1/speakers creates one.",
                new Dictionary<string, object?> { ["speakersUrl"] = "/v1/speakers" }));
    }

    /// <summary>What a request's <c>voice</c> resolves to: the voice to synthesise with and, for <c>speaker:&lt;id&gt;</c>, the
    /// speaker whose speed, pitch and volume are already combined into <see cref="Speed"/>, <see cref="Pitch"/>, <see cref="Volume"/>.</summary>
    public sealed record ResolvedVoice(string VoiceId, SpeakerProfile? Speaker, double Speed, double Pitch, double Volume);

    /// <summary>
    /// The request's voice (an id, alias or <c>speaker:&lt;id&gt;</c>) with the request's speed and pitch, or the problem:
    /// shared by <c>/v1/audio/speech</c> and <c>/v1/jobs</c> so both accept and refuse the same voices.
    /// </summary>
    public static async Task<(ResolvedVoice? Voice, IResult? Problem)> VoiceAsync(HttpContext http, ISpeakerDirectory speakers, VoiceResolver voices,
        string? requested, double speed, double pitch, CancellationToken ct)
    {
        if (requested?.Trim() is { } name && name.StartsWith(SpeakersApi.VoicePrefix, StringComparison.OrdinalIgnoreCase))
        {
            var (speaker, problem) = await SpeakerAsync(http, speakers, name[SpeakersApi.VoicePrefix.Length..], ct);
            if (speaker is null) return (null, problem);
            var (s, p) = WithSpeaker(speed, pitch, speaker);
            return (new ResolvedVoice(speaker.BaseVoiceId, speaker, s, p, speaker.Volume), null);
        }
        var resolved = await voices.ResolveAsync(requested, ct);
        return resolved.Problem is not null ? (null, resolved.Problem) : (new ResolvedVoice(resolved.VoiceId!, null, speed, pitch, 1.0), null);
    }

    /// <summary>The request's speed and pitch combined with the speaker's, kept within range.</summary>
    public static (double Speed, double Pitch) WithSpeaker(double speed, double pitch, SpeakerProfile speaker) =>
        (Math.Clamp(speed * speaker.Speed, SynthesisRequest.MinSpeed, SynthesisRequest.MaxSpeed),
         Math.Clamp(pitch + speaker.Pitch, SynthesisRequest.MinPitch, SynthesisRequest.MaxPitch));
}

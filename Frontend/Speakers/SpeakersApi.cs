using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Tts.Cluster;
using Orleans.Tts.Frontend.Problems;
using Orleans.Tts.Frontend.Voices;
using Orleans.Tts.Speakers;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Frontend.Speakers;

/// <summary>Body of <c>POST /v1/speakers</c> and <c>PUT /v1/speakers/{id}</c>.</summary>
public sealed record SpeakerBody(
    [property: JsonPropertyName("id")] string? Id,
    [property: JsonPropertyName("voice")] string? Voice,
    [property: JsonPropertyName("speed")] double? Speed,
    [property: JsonPropertyName("pitch")] double? Pitch,
    [property: JsonPropertyName("volume")] double? Volume,
    [property: JsonPropertyName("engine_speaker")] string? EngineSpeaker);

public sealed record SpeakerList(IReadOnlyList<SpeakerProfile> Speakers);

public static partial class SpeakersApi
{
    public const string VoicePrefix = "speaker:";
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { MaxDepth = 8 };

    [GeneratedRegex("^[a-z0-9][a-z0-9_-]{0,63}$")]
    private static partial Regex IdPattern();

    public static IEndpointRouteBuilder MapSpeakersEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/speakers").WithTags("Speakers");
        group.MapPost("", async (HttpContext http, ISpeakerDirectory directory, VoiceResolver voices, CancellationToken ct) =>
        {
            var (body, problem) = await ReadAsync(http, ct);
            if (problem is not null) return problem;
            var id = body!.Id ?? Guid.NewGuid().ToString("n")[..12];
            if (!IdPattern().IsMatch(id)) return BadId(id);
            var (definition, invalid) = await ValidateAsync(body, voices, ct);
            if (invalid is not null) return invalid;
            return await Storage(http, async () =>
            {
                try
                {
                    var profile = await directory.GetSpeaker(id).CreateAsync(definition!, ct);
                    return Results.Created($"/v1/speakers/{id}", profile);
                }
                catch (SpeakerConflictException e)
                {
                    return Problem.Of(StatusCodes.Status409Conflict, "Speaker exists", e.Message);
                }
            });
        }).WithName("CreateSpeaker").WithSummary("Create a speaker: a base voice with speed, pitch and volume (later a Piper speaker id or Kokoro blend).");

        group.MapGet("", (HttpContext http, ISpeakerDirectory directory, CancellationToken ct) =>
            Storage(http, async () => Results.Ok(new SpeakerList(await directory.ListAsync(ct)))))
            .WithName("ListSpeakers");

        group.MapGet("/{id}", (HttpContext http, string id, ISpeakerDirectory directory, CancellationToken ct) =>
            Storage(http, async () => await directory.GetSpeaker(id).GetAsync(ct) is { } p ? Results.Ok(p) : NotFound(id)))
            .WithName("GetSpeaker");

        group.MapPut("/{id}", async (HttpContext http, string id, ISpeakerDirectory directory, VoiceResolver voices, CancellationToken ct) =>
        {
            if (!IdPattern().IsMatch(id)) return BadId(id);
            var (body, problem) = await ReadAsync(http, ct);
            if (problem is not null) return problem;
            if (body!.Id is not null && body.Id != id) return Problem.BadRequest("Id mismatch", $"The body's id '{Shown(body.Id)}' differs from the URL's '{id}'; leave it out or make them equal.");
            var (definition, invalid) = await ValidateAsync(body, voices, ct);
            if (invalid is not null) return invalid;
            return await Storage(http, async () => Results.Ok(await directory.GetSpeaker(id).PutAsync(definition!, ct)));
        }).WithName("PutSpeaker").WithSummary("Create or replace a speaker; its version increases and its embedding is recomputed on next use.");

        group.MapDelete("/{id}", (HttpContext http, string id, ISpeakerDirectory directory, CancellationToken ct) =>
            Storage(http, async () => await directory.GetSpeaker(id).DeleteAsync(ct) ? Results.NoContent() : NotFound(id)))
            .WithName("DeleteSpeaker");
        return app;
    }

    /// <summary>A client-sent id as echoed in a problem: at most 64 characters, so a huge id never makes a huge answer.</summary>
    internal static string Shown(string id) => id.Length > 64 ? id[..64] + "…" : id;

    private static IResult NotFound(string id) =>
        Problem.Of(StatusCodes.Status404NotFound, "Unknown speaker", $"There is no speaker '{Shown(id)}'. GET /v1/speakers lists them.");

    private static IResult BadId(string id) =>
        Problem.BadRequest("Bad speaker id", $"Speaker id '{Shown(id)}' is invalid: use 1–64 characters of a–z, 0–9, '-' and '_', starting with a letter or digit.");

    private static async Task<IResult> Storage(HttpContext http, Func<Task<IResult>> action)
    {
        try { return await action(); }
        catch (StorageUnavailableException e) { return Problem.Busy(http, $"Speakers cannot be changed or listed now: {e.Message}", e.RetryAfter, "Speaker store unavailable"); }
    }

    private static async Task<(SpeakerBody?, IResult?)> ReadAsync(HttpContext http, CancellationToken ct)
    {
        if (http.Request.ContentType?.Split(';')[0].Trim().Equals("application/json", StringComparison.OrdinalIgnoreCase) != true)
            return (null, Problem.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type", "Send the speaker as JSON with 'Content-Type: application/json'."));
        try
        {
            var body = await JsonSerializer.DeserializeAsync<SpeakerBody>(http.Request.Body, Json, ct);
            return body is null ? (null, Problem.BadRequest("Malformed JSON", "The body must be a JSON object.")) : (body, null);
        }
        catch (JsonException e)
        {
            return (null, Problem.BadRequest("Malformed JSON", $"The body is not a valid speaker{(e.Path is { Length: > 1 } p ? $" at '{p.TrimStart('$', '.')}'" : "")}: voice and engine_speaker are strings; speed, pitch and volume numbers."));
        }
    }

    private static async Task<(SpeakerDefinition?, IResult?)> ValidateAsync(SpeakerBody body, VoiceResolver voices, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Voice)) return (null, Problem.BadRequest("Missing voice", "The field 'voice' is required: the base voice id (GET /v1/voices)."));
        if (body.Voice.Trim().StartsWith(VoicePrefix, StringComparison.OrdinalIgnoreCase))
            return (null, Problem.BadRequest("Bad voice", "A speaker's base voice must be a voice, not another speaker."));
        var voice = await voices.ResolveAsync(body.Voice, ct);
        if (voice.Problem is not null) return (null, voice.Problem);
        var speed = body.Speed ?? 1.0;
        if (!double.IsFinite(speed) || speed < SynthesisRequest.MinSpeed || speed > SynthesisRequest.MaxSpeed)
            return (null, Problem.BadRequest("Bad speed", $"speed must be from {SynthesisRequest.MinSpeed} to {SynthesisRequest.MaxSpeed}; got {body.Speed}."));
        var pitch = body.Pitch ?? 0.0;
        if (!double.IsFinite(pitch) || pitch < SynthesisRequest.MinPitch || pitch > SynthesisRequest.MaxPitch)
            return (null, Problem.BadRequest("Bad pitch", $"pitch must be from {SynthesisRequest.MinPitch} to {SynthesisRequest.MaxPitch} semitones; got {body.Pitch}."));
        var volume = body.Volume ?? 1.0;
        if (!double.IsFinite(volume) || volume < SpeakerDefinition.MinVolume || volume > SpeakerDefinition.MaxVolume)
            return (null, Problem.BadRequest("Bad volume", $"volume must be from {SpeakerDefinition.MinVolume} to {SpeakerDefinition.MaxVolume}; got {body.Volume}."));
        if (body.EngineSpeaker is { Length: > 256 }) return (null, Problem.BadRequest("Bad engine_speaker", "engine_speaker is at most 256 characters."));
        return (new SpeakerDefinition(voice.VoiceId!, speed, pitch, volume, body.EngineSpeaker), null);
    }
}

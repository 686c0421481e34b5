using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Tts.Frontend.Problems;
using Orleans.Tts.Speech;
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
    [property: JsonPropertyName("engine_speaker")] string? EngineSpeaker,
    [property: JsonPropertyName("blend")] IReadOnlyList<BlendPartBody?>? Blend = null,
    [property: JsonPropertyName("voice_table")] string? VoiceTable = null);

/// <summary>One part of a Kokoro blend: a style table (a Kokoro voice name) and its weight.</summary>
public sealed record BlendPartBody(
    [property: JsonPropertyName("table")] string? Table,
    [property: JsonPropertyName("weight")] double? Weight);

public sealed record SpeakerList(IReadOnlyList<SpeakerProfile> Speakers);

public static class SpeakersApi
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { MaxDepth = 8 };

    public static IEndpointRouteBuilder MapSpeakersEndpoints(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/v1/speakers").WithTags("Speakers");
        group.MapPost("", async (HttpContext http, ISpeakerDirectory directory, VoiceResolver voices, FrontendOptions options, CancellationToken ct) =>
        {
            var (body, problem) = await ReadAsync(http, ct);
            if (problem is not null) return problem;
            var id = body!.Id ?? Guid.NewGuid().ToString("n")[..12];
            if (!SpeakerIds.IsValid(id)) return BadId(id);
            var (definition, invalid) = await ValidateAsync(body, voices, ct);
            if (invalid is not null) return invalid;
            return await Storage(http, async () =>
            {
                if (await LimitReachedAsync(directory, options, ct) is { } full) return full;
                return await directory.GetSpeaker(id).CreateAsync(definition!, ct) is { } profile
                    ? Results.Created($"/v1/speakers/{id}", profile)
                    : Problem.Of(StatusCodes.Status409Conflict, "Speaker exists", $"A speaker '{id}' already exists; PUT /v1/speakers/{id} replaces it.");
            });
        }).WithName("CreateSpeaker").WithSummary("Create a speaker: a base voice with speed, pitch and volume; a Piper speaker; a Kokoro blend or uploaded voice table.");

        group.MapGet("", (HttpContext http, ISpeakerDirectory directory, CancellationToken ct) =>
            Storage(http, async () => Results.Ok(new SpeakerList(await directory.ListAsync(ct)))))
            .WithName("ListSpeakers");

        // An id no speaker can have is a 404 like any unknown one, without asking a grain.
        group.MapGet("/{id}", (HttpContext http, string id, ISpeakerDirectory directory, CancellationToken ct) =>
            Storage(http, async () => SpeakerIds.IsValid(id) && await directory.GetSpeaker(id).GetAsync(ct) is { } p ? Results.Ok(p) : NotFound(id)))
            .WithName("GetSpeaker");

        group.MapPut("/{id}", async (HttpContext http, string id, ISpeakerDirectory directory, VoiceResolver voices, FrontendOptions options, CancellationToken ct) =>
        {
            if (!SpeakerIds.IsValid(id)) return BadId(id);
            var (body, problem) = await ReadAsync(http, ct);
            if (problem is not null) return problem;
            if (body!.Id is not null && body.Id != id) return Problem.BadRequest("Id mismatch", $"The body's id '{SpeechValidation.Echo(body.Id)}' differs from the URL's '{SpeechValidation.Echo(id)}'; leave it out or make them equal.");
            var (definition, invalid) = await ValidateAsync(body, voices, ct);
            if (invalid is not null) return invalid;
            return await Storage(http, async () =>
            {
                var grain = directory.GetSpeaker(id);
                if (await grain.GetAsync(ct) is null && await LimitReachedAsync(directory, options, ct) is { } full) return full;
                return Results.Ok(await grain.PutAsync(definition!, ct));
            });
        }).WithName("PutSpeaker").WithSummary("Create or replace a speaker; its version increases and its embedding is recomputed on next use.");

        group.MapPut("/{id}/voice-table", async (HttpContext http, string id, ISpeakerDirectory directory, CancellationToken ct) =>
        {
            if (!SpeakerIds.IsValid(id)) return BadId(id);
            if (http.Request.ContentType?.Split(';')[0].Trim().Equals("application/octet-stream", StringComparison.OrdinalIgnoreCase) != true)
                return Problem.Of(StatusCodes.Status415UnsupportedMediaType, "Unsupported media type",
                    $"Send the voice table as raw bytes with 'Content-Type: application/octet-stream' (float32 [{SpeakerVoiceTable.Rows},1,{SpeakerVoiceTable.StyleDim}] little-endian, {SpeakerVoiceTable.ExpectedBytes:N0} bytes).");
            var table = await ReadTableAsync(http, ct);
            if (table is null)
                return Problem.Of(StatusCodes.Status413PayloadTooLarge, "Voice table too large",
                    $"A voice table is exactly {SpeakerVoiceTable.ExpectedBytes:N0} bytes (float32 [{SpeakerVoiceTable.Rows},1,{SpeakerVoiceTable.StyleDim}]); the body is larger.");
            if (SpeakerVoiceTable.Problem(table) is { } wrong) return Problem.BadRequest("Bad voice table", wrong);
            return await Storage(http, async () =>
            {
                var grain = directory.GetSpeaker(id);
                if (await grain.GetAsync(ct) is not { } current) return NotFound(id);
                if (!IsKokoro(current.BaseVoiceId))
                    return Problem.BadRequest("Voice table needs a Kokoro voice",
                        $"Speaker '{id}' speaks with '{current.BaseVoiceId}'; voice tables are Kokoro styles. PUT the speaker with a kokoro:… voice first.");
                return await grain.SetVoiceTableAsync(table, ct) is { } profile ? Results.Ok(profile) : NotFound(id);
            });
        }).WithName("PutSpeakerVoiceTable")
            .WithSummary("Upload a Kokoro style table (float32 [510,1,256], 522,240 bytes) as the speaker's style; replaces its blend.");

        group.MapGet("/{id}/voice-table", (HttpContext http, string id, ISpeakerDirectory directory, CancellationToken ct) =>
            Storage(http, async () => !SpeakerIds.IsValid(id) ? NotFound(id)
                : await directory.GetSpeaker(id).GetVoiceTableAsync(ct) is { } table
                ? Results.File(table, "application/octet-stream", $"{id}.bin")
                : await directory.GetSpeaker(id).GetAsync(ct) is null ? NotFound(id)
                : Problem.Of(StatusCodes.Status404NotFound, "No voice table", $"Speaker '{id}' has no uploaded voice table; PUT /v1/speakers/{id}/voice-table uploads one.")))
            .WithName("GetSpeakerVoiceTable");

        group.MapDelete("/{id}", (HttpContext http, string id, ISpeakerDirectory directory, CancellationToken ct) =>
            Storage(http, async () => SpeakerIds.IsValid(id) && await directory.GetSpeaker(id).DeleteAsync(ct) ? Results.NoContent() : NotFound(id)))
            .WithName("DeleteSpeaker");
        return app;
    }

    private static IResult NotFound(string id) =>
        Problem.Of(StatusCodes.Status404NotFound, "Unknown speaker", $"There is no speaker '{SpeechValidation.Echo(id)}'. GET /v1/speakers lists them.");

    /// <summary>A 409 when the cluster already keeps <see cref="FrontendOptions.MaxSpeakers"/> speakers (checked before a new one is stored).</summary>
    private static async ValueTask<IResult?> LimitReachedAsync(ISpeakerDirectory directory, FrontendOptions options, CancellationToken ct) =>
        await directory.CountAsync(ct) >= options.MaxSpeakers
            ? Problem.Of(StatusCodes.Status409Conflict, "Speaker limit reached",
                $"The cluster already keeps {options.MaxSpeakers:N0} speakers, the most it allows (TTS_MAX_SPEAKERS). Delete speakers you no longer use (DELETE /v1/speakers/{{id}}) or replace one with PUT, then retry.",
                new Dictionary<string, object?> { ["maxSpeakers"] = options.MaxSpeakers })
            : null;

    private static IResult BadId(string id) =>
        Problem.BadRequest("Bad speaker id", $"Speaker id '{SpeechValidation.Echo(id)}' is invalid: use 1–64 characters of a–z, 0–9, '-' and '_', starting with a letter or digit.");

    private static async Task<IResult> Storage(HttpContext http, Func<Task<IResult>> action)
    {
        try { return await action(); }
        catch (SpeakerStorageException e) { return Problem.Busy(http, $"Speakers cannot be changed now: {e.Message}", TimeSpan.FromSeconds(2), "Speaker store unavailable"); }
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
            return (null, Problem.BadRequest("Malformed JSON", $"The body is not a valid speaker{(e.Path is { Length: > 1 } p ? $" at '{p.TrimStart('$', '.')}'" : "")}: voice, engine_speaker and voice_table (base64) are strings; speed, pitch and volume numbers; blend a list of {{\"table\": name, \"weight\": number}}."));
        }
    }

    private static async Task<(SpeakerDefinition?, IResult?)> ValidateAsync(SpeakerBody body, VoiceResolver voices, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(body.Voice)) return (null, Problem.BadRequest("Missing voice", "The field 'voice' is required: the base voice id (GET /v1/voices)."));
        if (body.Voice.Trim().StartsWith(SpeechValidation.SpeakerPrefix, StringComparison.OrdinalIgnoreCase))
            return (null, Problem.BadRequest("Bad voice", "A speaker's base voice must be a voice, not another speaker."));
        var voice = await voices.ResolveAsync(body.Voice, ct);
        if (voice.Error is not null) return (null, Problem.Invalid(voice.Error));
        var speed = body.Speed ?? 1.0;
        if (!double.IsFinite(speed) || speed < SynthesisRequest.MinSpeed || speed > SynthesisRequest.MaxSpeed)
            return (null, Problem.BadRequest("Bad speed", $"speed must be from {SynthesisRequest.MinSpeed} to {SynthesisRequest.MaxSpeed}; got {body.Speed}."));
        var pitch = body.Pitch ?? 0.0;
        if (!double.IsFinite(pitch) || pitch < SynthesisRequest.MinPitch || pitch > SynthesisRequest.MaxPitch)
            return (null, Problem.BadRequest("Bad pitch", $"pitch must be from {SynthesisRequest.MinPitch} to {SynthesisRequest.MaxPitch} semitones; got {body.Pitch}."));
        var volume = body.Volume ?? 1.0;
        if (!double.IsFinite(volume) || volume < SpeakerDefinition.MinVolume || volume > SpeakerDefinition.MaxVolume)
            return (null, Problem.BadRequest("Bad volume", $"volume must be from {SpeakerDefinition.MinVolume} to {SpeakerDefinition.MaxVolume}; got {body.Volume}."));
        var voiceId = voice.VoiceId!;
        var list = await voices.ListAsync(ct);
        if (body.EngineSpeaker is not null)
        {
            var (speakerVoice, speakerProblem) = EngineSpeakerVoice(voiceId, body.EngineSpeaker, list);
            if (speakerProblem is not null) return (null, speakerProblem);
            voiceId = speakerVoice!;
        }
        var (blend, blendProblem) = ValidateBlend(body, voiceId, list);
        if (blendProblem is not null) return (null, blendProblem);
        var (table, tableProblem) = ValidateTable(body, voiceId);
        if (tableProblem is not null) return (null, tableProblem);
        return (new SpeakerDefinition(voiceId, speed, pitch, volume, null, blend, table), null);
    }

    private static bool IsKokoro(string voiceId) => voiceId.StartsWith("kokoro:", StringComparison.OrdinalIgnoreCase);

    /// <summary>engine_speaker names a speaker of a multi-speaker Piper voice; the speaker's base voice becomes that speaker's voice id.</summary>
    private static (string?, IResult?) EngineSpeakerVoice(string voiceId, string name, IReadOnlyList<Orleans.Tts.Voices.VoiceInfo> list)
    {
        var model = voiceId.Split('#')[0];
        var voice = list.FirstOrDefault(v => v.Id.Equals(model, StringComparison.OrdinalIgnoreCase));
        if (voice is not { Engine: "piper", Speakers.Count: > 0 })
            return (null, Problem.BadRequest("Bad engine_speaker",
                $"engine_speaker picks a speaker of a multi-speaker Piper voice, and '{voiceId}' is not one (for a Kokoro voice use 'blend' or 'voice_table'; GET /v1/voices lists each voice's speakers)."));
        var speaker = voice.Speakers.FirstOrDefault(s => s.Equals(name.Trim(), StringComparison.OrdinalIgnoreCase));
        var shown = name.Length > 64 ? name[..64] + "…" : name;
        if (speaker is null)
            return (null, Problem.BadRequest("Bad engine_speaker",
                $"'{voice.Id}' has no speaker '{shown}'; it has {voice.Speakers.Count}: {string.Join(", ", voice.Speakers.Take(20))}{(voice.Speakers.Count > 20 ? ", …" : "")}."));
        return ($"{voice.Id}#{speaker}", null);
    }

    private static (IReadOnlyList<SpeakerBlendPart>?, IResult?) ValidateBlend(SpeakerBody body, string voiceId, IReadOnlyList<Orleans.Tts.Voices.VoiceInfo> list)
    {
        if (body.Blend is null) return (null, null);
        static IResult Bad(string detail) => Problem.BadRequest("Bad blend", detail);
        if (!IsKokoro(voiceId))
            return (null, Bad($"A blend mixes Kokoro style tables, so it needs a kokoro:… voice; '{voiceId}' is not one. GET /v1/voices lists the Kokoro voices."));
        if (body.Blend.Count is 0 or > SpeakerDefinition.MaxBlendParts)
            return (null, Bad($"A blend has 1 to {SpeakerDefinition.MaxBlendParts} parts; this one has {body.Blend.Count}."));
        var tables = list.Where(v => IsKokoro(v.Id) && !v.Id.Contains('+') && !v.Id.Contains('*')).Select(v => v.Id["kokoro:".Length..]).ToList();
        var parts = new List<SpeakerBlendPart>();
        for (var i = 0; i < body.Blend.Count; i++)
        {
            var part = body.Blend[i];
            var name = part?.Table?.Trim() ?? "";
            if (name.StartsWith("kokoro:", StringComparison.OrdinalIgnoreCase)) name = name["kokoro:".Length..];
            if (name.Length == 0) return (null, Bad($"blend[{i}] needs 'table': the name of a Kokoro voice, e.g. {string.Join(", ", tables.Take(3))}."));
            var table = tables.FirstOrDefault(t => t.Equals(name, StringComparison.OrdinalIgnoreCase));
            var shown = name.Length > 64 ? name[..64] + "…" : name;
            if (table is null)
                return (null, Bad($"blend[{i}] names table '{shown}', which is not a Kokoro voice here. Tables: {string.Join(", ", tables.Take(60))}{(tables.Count > 60 ? ", …" : "")}."));
            if (parts.Any(p => p.Table == table)) return (null, Bad($"blend[{i}] names '{table}' again; name each table once."));
            if (part!.Weight is not { } weight || !double.IsFinite(weight) || weight <= 0 || weight > 1000)
                return (null, Bad($"blend[{i}] ('{table}') needs a 'weight' greater than 0 and at most 1000; got {part.Weight?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"}. Weights are normalised to sum 1."));
            parts.Add(new SpeakerBlendPart(table, weight));
        }
        var total = parts.Sum(p => p.Weight);
        return ([.. parts.Select(p => p with { Weight = p.Weight / total })], null);
    }

    private static (byte[]?, IResult?) ValidateTable(SpeakerBody body, string voiceId)
    {
        if (body.VoiceTable is null) return (null, null);
        static IResult Bad(string detail) => Problem.BadRequest("Bad voice table", detail);
        if (!IsKokoro(voiceId))
            return (null, Bad($"voice_table is a Kokoro style table, so it needs a kokoro:… voice; '{voiceId}' is not one."));
        if (body.Blend is not null) return (null, Bad("Give either 'blend' or 'voice_table', not both: each sets the speaker's whole style."));
        var table = new byte[SpeakerVoiceTable.ExpectedBytes + 3];
        if (!Convert.TryFromBase64String(body.VoiceTable, table, out var length))
            return (null, body.VoiceTable.Length > (SpeakerVoiceTable.ExpectedBytes + 2) / 3 * 4
                ? Bad($"voice_table is too long: a voice table is exactly {SpeakerVoiceTable.ExpectedBytes:N0} bytes ({(SpeakerVoiceTable.ExpectedBytes + 2) / 3 * 4:N0} base64 characters).")
                : Bad("voice_table is not valid base64 (RFC 4648, with padding)."));
        table = table[..length];
        return SpeakerVoiceTable.Problem(table) is { } wrong ? (null, Bad(wrong)) : (table, null);
    }

    /// <summary>The body, or null when it is longer than a voice table.</summary>
    private static async Task<byte[]?> ReadTableAsync(HttpContext http, CancellationToken ct)
    {
        if (http.Request.ContentLength > SpeakerVoiceTable.ExpectedBytes) return null;
        using var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        int n;
        while ((n = await http.Request.Body.ReadAsync(chunk, ct)) > 0)
        {
            if (buffer.Length + n > SpeakerVoiceTable.ExpectedBytes) return null;
            buffer.Write(chunk, 0, n);
        }
        return buffer.ToArray();
    }
}

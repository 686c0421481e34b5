using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Serialization;
using Orleans.Tts.Speakers;

namespace Orleans.Tts.Client;

/// <summary>What a speaker is: a base voice (an id from <c>/v1/voices</c>) with speed, pitch and volume; unset fields take the server's defaults.</summary>
public sealed record SpeakerSpec(
    [property: JsonPropertyName("voice")] string Voice,
    [property: JsonPropertyName("speed"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Speed = null,
    [property: JsonPropertyName("pitch"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Pitch = null,
    [property: JsonPropertyName("volume"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? Volume = null,
    [property: JsonPropertyName("engine_speaker"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? EngineSpeaker = null);

public partial interface ITtsClient
{
    /// <summary>Every speaker of the cluster.</summary>
    Task<IReadOnlyList<SpeakerProfile>> ListSpeakersAsync(CancellationToken cancellationToken = default);

    /// <summary>The speaker, or null when there is none with that id.</summary>
    Task<SpeakerProfile?> GetSpeakerAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Creates a speaker (<paramref name="id"/> null: the server names it); an existing id throws <see cref="TtsRequestException"/> with 409.</summary>
    Task<SpeakerProfile> CreateSpeakerAsync(SpeakerSpec speaker, string? id = null, CancellationToken cancellationToken = default);

    /// <summary>Creates or replaces the speaker <paramref name="id"/>; its version increases.</summary>
    Task<SpeakerProfile> UpdateSpeakerAsync(string id, SpeakerSpec speaker, CancellationToken cancellationToken = default);

    /// <summary>Deletes the speaker; false when there was none with that id.</summary>
    Task<bool> DeleteSpeakerAsync(string id, CancellationToken cancellationToken = default);
}

/// <summary><c>/v1/speakers</c>: a speaker is used for synthesis as the voice <c>speaker:&lt;id&gt;</c>.</summary>
public sealed partial class TtsClient
{
    private sealed record SpeakerListBody(List<SpeakerProfile> Speakers);

    public async Task<IReadOnlyList<SpeakerProfile>> ListSpeakersAsync(CancellationToken cancellationToken = default)
    {
        using var response = await WithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, "v1/speakers"), HttpCompletionOption.ResponseContentRead, cancellationToken);
        return (await response.Content.ReadFromJsonAsync<SpeakerListBody>(Json, cancellationToken))?.Speakers ?? [];
    }

    public async Task<SpeakerProfile?> GetSpeakerAsync(string id, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await WithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, SpeakerPath(id)), HttpCompletionOption.ResponseContentRead, cancellationToken);
            return await ReadSpeakerAsync(response, cancellationToken);
        }
        catch (TtsRequestException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return null;
        }
    }

    public async Task<SpeakerProfile> CreateSpeakerAsync(SpeakerSpec speaker, string? id = null, CancellationToken cancellationToken = default)
    {
        var body = new Dictionary<string, object?> { ["id"] = id, ["voice"] = speaker.Voice, ["speed"] = speaker.Speed, ["pitch"] = speaker.Pitch,
            ["volume"] = speaker.Volume, ["engine_speaker"] = speaker.EngineSpeaker };
        using var response = await WithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Post, "v1/speakers") { Content = JsonContent.Create(body, options: Json) },
            HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadSpeakerAsync(response, cancellationToken);
    }

    public async Task<SpeakerProfile> UpdateSpeakerAsync(string id, SpeakerSpec speaker, CancellationToken cancellationToken = default)
    {
        using var response = await WithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Put, SpeakerPath(id)) { Content = JsonContent.Create(speaker, options: Json) },
            HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadSpeakerAsync(response, cancellationToken);
    }

    public async Task<bool> DeleteSpeakerAsync(string id, CancellationToken cancellationToken = default)
    {
        try
        {
            using var response = await WithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Delete, SpeakerPath(id)), HttpCompletionOption.ResponseContentRead, cancellationToken);
            return true;
        }
        catch (TtsRequestException e) when (e.Status == HttpStatusCode.NotFound)
        {
            return false;
        }
    }

    private static string SpeakerPath(string id) => "v1/speakers/" + Uri.EscapeDataString(id);

    private static async Task<SpeakerProfile> ReadSpeakerAsync(HttpResponseMessage response, CancellationToken ct) =>
        await response.Content.ReadFromJsonAsync<SpeakerProfile>(Json, ct)
        ?? throw new InvalidDataException("The server answered a speaker request with an empty body.");
}

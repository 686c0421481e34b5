using System.Net.Http.Json;
using System.Text.Json;

namespace Orleans.Tts.Cluster.Tests;

public static class Http
{
    public static Task<HttpResponseMessage> SpeakAsync(this HttpClient client, object body, string? apiKey = null, string? ifNoneMatch = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech") { Content = JsonContent.Create(body) };
        if (apiKey is not null) request.Headers.Add("X-Api-Key", apiKey);
        if (ifNoneMatch is not null) request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return client.SendAsync(request);
    }

    public static async Task<JsonElement> ClusterAsync(this HttpClient client) =>
        JsonDocument.Parse(await client.GetStringAsync("/cluster")).RootElement;

    public static string? Header(this HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? values.FirstOrDefault() : null;

    public static string Sentences(string seed, int sentences) =>
        string.Join(" ", Enumerable.Range(0, sentences).Select(i => $"{seed} sentence number {i} keeps the worker busy for a while."));
}

using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Orleans.Tts.Api.Tests;

public static class Http
{
    public static Task<HttpResponseMessage> SpeakAsync(this HttpClient client, object body) =>
        client.PostAsJsonAsync("/v1/audio/speech", body);

    public static Task<HttpResponseMessage> PostRawAsync(this HttpClient client, string json, string contentType = "application/json")
    {
        var content = new StringContent(json, Encoding.UTF8);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return client.PostAsync("/v1/audio/speech", content);
    }

    /// <summary>Asserts an RFC 9457 problem response and returns its detail.</summary>
    public static async Task<JsonElement> AssertProblemAsync(this HttpResponseMessage response, int status, params string[] detailContains)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True((int)response.StatusCode == status, $"Expected {status}, got {(int)response.StatusCode}: {text}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("title").GetString()));
        var detail = problem.GetProperty("detail").GetString() ?? "";
        foreach (var part in detailContains) Assert.Contains(part, detail, StringComparison.OrdinalIgnoreCase);
        return problem;
    }
}

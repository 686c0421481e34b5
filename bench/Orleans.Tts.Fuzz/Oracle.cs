using System.Text;
using System.Text.Json;

namespace Orleans.Tts.Fuzz;

/// <summary>
/// What every answer to hostile input must look like: 2xx/3xx (audio not empty), or a 4xx problem (<c>application/problem+json</c> with a
/// non-empty <c>detail</c>), or 503 with <c>Retry-After</c>; never another 5xx, never a hang. Only requests malformed at
/// the HTTP level may get Kestrel's own bodiless 4xx or a closed connection.
/// </summary>
public static class Oracle
{
    /// <summary>Null when <paramref name="outcome"/> is acceptable for <paramref name="fuzzCase"/>, else why not.</summary>
    public static string? Check(FuzzCase fuzzCase, Outcome outcome)
    {
        if (outcome.Response is not { } response)
        {
            if (outcome.Error == "timeout") return "no answer before the deadline (hang)";
            return fuzzCase.Protocol || fuzzCase.HalfClose ? null : $"connection {outcome.Error} without a response";
        }
        var status = response.Status;
        var headOnly = fuzzCase.Request.AsSpan().StartsWith("HEAD "u8);
        if (status == 503)
            return response.Header("retry-after") is { Length: > 0 } ? ProblemBody(response, headOnly) : "503 without Retry-After";
        // Kestrel's own answer to "HTTP/9.9": the only 5xx a client can earn, and the correct one (RFC 9110 §15.6.6).
        if (status == 505 && fuzzCase.Protocol && !RequestLine(fuzzCase).EndsWith(" HTTP/1.1", StringComparison.Ordinal) && !RequestLine(fuzzCase).EndsWith(" HTTP/1.0", StringComparison.Ordinal)) return null;
        if (status >= 500) return $"{status} {Excerpt(response)}";
        if (status < 400)
        {
            if (response.BodyPrefix.Length > 0 && response.Header("content-type") is { } type && type.StartsWith("text/event-stream", StringComparison.Ordinal)
                && Encoding.UTF8.GetString(response.BodyPrefix).Contains("\"type\":\"error\"", StringComparison.Ordinal))
                return "the SSE stream ended with an error event";
            // Text with something to speak (anything else is a 400) never makes an empty file.
            if (status == 200 && !headOnly && response.BodyLength == 0 && response.Header("content-type") is { } audio && audio.StartsWith("audio/", StringComparison.Ordinal))
                return $"200 {audio} with no audio";
            return null;
        }
        var contentType = response.Header("content-type");
        if (contentType is null && response.BodyLength == 0 && fuzzCase.Protocol) return null; // Kestrel's own answer to a malformed request
        if (contentType is null || !contentType.StartsWith("application/problem+json", StringComparison.Ordinal))
            return $"{status} without a problem body (Content-Type '{contentType}')";
        return ProblemBody(response, headOnly);
    }

    private static string? ProblemBody(RawResponse response, bool headOnly)
    {
        if (headOnly) return null;
        try
        {
            using var json = JsonDocument.Parse(response.BodyPrefix);
            if (json.RootElement.ValueKind != JsonValueKind.Object) return $"{response.Status} problem is not a JSON object";
            if (!json.RootElement.TryGetProperty("detail", out var detail) || detail.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(detail.GetString()))
                return $"{response.Status} problem without a detail: {Excerpt(response)}";
            return null;
        }
        catch (JsonException)
        {
            return $"{response.Status} problem body is not JSON: {Excerpt(response)}";
        }
    }

    private static string RequestLine(FuzzCase fuzzCase)
    {
        var end = fuzzCase.Request.AsSpan().IndexOf("\r\n"u8);
        return Encoding.Latin1.GetString(end < 0 ? fuzzCase.Request : fuzzCase.Request[..end]);
    }

    public static string Excerpt(RawResponse response, int max = 300)
    {
        var text = Encoding.UTF8.GetString(response.BodyPrefix.AsSpan(0, Math.Min(max, response.BodyPrefix.Length)));
        return text.ReplaceLineEndings(" ");
    }
}

using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Orleans.Tts.Speech;

namespace Orleans.Tts.Frontend.Problems;

/// <summary>RFC 9457 problem responses that say what was wrong and what is allowed.</summary>
public static class Problem
{
    /// <summary>A problem; with no <paramref name="type"/>, ASP.NET Core links the RFC 9110 section of the status.</summary>
    public static IResult Of(int status, string title, string detail, IDictionary<string, object?>? extensions = null, string? type = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title, type: type, extensions: extensions);

    public static IResult BadRequest(string title, string detail, IDictionary<string, object?>? extensions = null) =>
        Of(StatusCodes.Status400BadRequest, title, detail, extensions);

    /// <summary>503 with a Retry-After header in whole seconds (at least 1); <paramref name="extensions"/> join <c>retryAfterSeconds</c>.</summary>
    public static IResult Busy(HttpContext http, string detail, TimeSpan retryAfter, string title = "Service busy", IDictionary<string, object?>? extensions = null)
    {
        var seconds = (int)Math.Clamp(Math.Ceiling(retryAfter.TotalSeconds), 1, int.MaxValue);
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var members = new Dictionary<string, object?>(extensions ?? new Dictionary<string, object?>()) { ["retryAfterSeconds"] = seconds };
        return Of(StatusCodes.Status503ServiceUnavailable, title, detail, members);
    }

    /// <summary>The problem answer of the speech pipeline's typed errors (busy: 503 with Retry-After; invalid: its status), or null for any other exception.</summary>
    public static IResult? For(HttpContext http, Exception e) => e switch
    {
        SpeechBusyException busy => Busy(http, busy.Detail, busy.RetryAfter, busy.Title),
        SpeechRequestInvalidException invalid => Invalid(invalid),
        _ => null,
    };

    /// <summary>An invalid request as its problem: the extension members come back from their JSON as they were written.</summary>
    public static IResult Invalid(SpeechRequestInvalidException e) =>
        Of(e.Status, e.Title, e.Detail, e.ExtensionsJson is null ? null
            : JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(e.ExtensionsJson)!.ToDictionary(p => p.Key, p => (object?)p.Value));
}

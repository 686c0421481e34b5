using Microsoft.AspNetCore.Http;

namespace Orleans.Tts.Frontend.Problems;

/// <summary>RFC 9457 problem responses that say what was wrong and what is allowed.</summary>
public static class Problem
{
    /// <summary>A problem; with no <paramref name="type"/>, ASP.NET Core links the RFC 9110 section of the status.</summary>
    public static IResult Of(int status, string title, string detail, IDictionary<string, object?>? extensions = null, string? type = null) =>
        Results.Problem(detail: detail, statusCode: status, title: title, type: type, extensions: extensions);

    /// <summary>
    /// A value a client sent, as quoted back in a problem: at most <paramref name="max"/> characters (then "…", never half a
    /// surrogate pair), so a huge field never makes a huge error body.
    /// </summary>
    public static string Echo(string? value, int max = 64)
    {
        if (value is null || value.Length <= max) return value ?? "";
        var cut = char.IsHighSurrogate(value[max - 1]) ? max - 1 : max;
        return value[..cut] + "…";
    }

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
}

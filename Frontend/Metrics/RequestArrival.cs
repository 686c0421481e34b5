using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Orleans.Tts.Frontend.Metrics;

/// <summary>
/// When a request reached the first middleware (a <see cref="Stopwatch"/> timestamp). Deadlines run from then, so the time
/// before the endpoint (authentication, rate limits, routing, a thread pool busy under overload) counts against them too.
/// </summary>
public sealed record RequestArrival(long Timestamp)
{
    /// <summary>The request's arrival, or now when no middleware stamped it.</summary>
    public static long Of(HttpContext http) => http.Features.Get<RequestArrival>()?.Timestamp ?? Stopwatch.GetTimestamp();
}

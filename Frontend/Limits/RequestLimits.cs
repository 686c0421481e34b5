using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Orleans.Tts.Frontend.Problems;

namespace Orleans.Tts.Frontend.Limits;

/// <summary>
/// Turns Kestrel's refusals of a request body that reach an endpoint (too large: 413; too slow: 408) into RFC 9457
/// problems saying which limit applied, instead of a 500 from the exception handler.
/// </summary>
public static class RequestLimits
{
    public static WebApplication UseRequestLimitProblems(this WebApplication app)
    {
        app.Use(async (http, next) =>
        {
            try
            {
                await next(http);
            }
            catch (BadHttpRequestException e) when (!http.Response.HasStarted && e.StatusCode is StatusCodes.Status413PayloadTooLarge or StatusCodes.Status408RequestTimeout)
            {
                var limit = http.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
                var problem = e.StatusCode == StatusCodes.Status413PayloadTooLarge
                    ? Problem.Of(e.StatusCode, "Request body too large",
                        $"The request body is larger than this endpoint accepts{(limit is { } l ? $" (at most {l} bytes)" : "")}. Send a smaller body; the same one will be refused again.",
                        new Dictionary<string, object?> { ["maxBodyBytes"] = limit })
                    : Problem.Of(e.StatusCode, "Request body too slow",
                        "The request body arrived slower than the minimum rate (1024 bytes/s after a grace period). Send the body at once and retry.");
                await problem.ExecuteAsync(http);
            }
        });
        return app;
    }
}

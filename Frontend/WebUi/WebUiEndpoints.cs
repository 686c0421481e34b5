using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Orleans.Tts.Frontend.WebUi;

/// <summary>Serves the WebUI page (embedded, no build step) at <c>/</c>.</summary>
public static class WebUiEndpoints
{
    public static IEndpointRouteBuilder MapWebUi(this IEndpointRouteBuilder app)
    {
        var page = ReadResource("webui/index.html");
        app.MapGet("/", (HttpContext http) =>
            {
                http.Response.Headers.CacheControl = "no-cache";
                return Results.Bytes(page, "text/html; charset=utf-8");
            })
            .ExcludeFromDescription();
        return app;
    }

    private static byte[] ReadResource(string name)
    {
        using var stream = typeof(WebUiEndpoints).Assembly.GetManifestResourceStream(name)
                           ?? throw new InvalidOperationException($"The WebUI resource '{name}' is missing from the build.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}

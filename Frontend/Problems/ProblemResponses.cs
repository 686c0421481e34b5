using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Orleans.Tts.Speech;

namespace Orleans.Tts.Frontend.Problems;

/// <summary>
/// Problems for what no endpoint answers itself: unknown routes (404), wrong methods (405), requests Kestrel could not
/// read to the end (a broken chunked body, a body that stopped arriving: 400/408/413), each with a detail that says what
/// was wrong and what is allowed, whatever the client's Accept header.
/// </summary>
public static class ProblemResponses
{
    private const int MaxEchoedChars = 120;

    public const string ApiSummary = "POST /v1/audio/speech, GET /v1/voices, GET/POST /v1/speakers, GET/PUT/DELETE /v1/speakers/{id}, POST /admin/models/reload, GET /health, GET /ready, GET /metrics, GET /cluster; GET /openapi/v1.json describes them";

    public static WebApplication UseProblemResponses(this WebApplication app)
    {
        app.UseExceptionHandler(new ExceptionHandlerOptions
        {
            ExceptionHandler = HandleExceptionAsync,
            StatusCodeSelector = StatusFor,
            // A body the client broke is its error, answered with a 4xx problem: not an "unhandled exception" in the operators' log.
            SuppressDiagnosticsCallback = context => context.Exception is BadHttpRequestException,
        });
        app.UseStatusCodePages(context => WriteStatusProblemAsync(context.HttpContext));
        // A body Kestrel cannot decode (e.g. a chunk size that overflows) surfaces as a plain IOException; make it a client error.
        app.Use((http, next) =>
        {
            if (http.Request.ContentLength > 0 || http.Request.Headers.TransferEncoding.Count > 0) http.Request.Body = new ClientBodyStream(http.Request.Body);
            return next(http);
        });
        return app;
    }

    /// <summary>The status for an exception that escaped an endpoint: the client's fault for unreadable bodies, else 500.</summary>
    private static int StatusFor(Exception exception) => exception switch
    {
        BadHttpRequestException bad => bad.StatusCode,
        _ => StatusCodes.Status500InternalServerError,
    };

    private static Task HandleExceptionAsync(HttpContext http)
    {
        var exception = http.Features.Get<IExceptionHandlerFeature>()?.Error;
        if (exception is BadHttpRequestException bad)
        {
            var (title, detail) = bad.StatusCode switch
            {
                StatusCodes.Status408RequestTimeout => ("Request body too slow", "The request body arrived too slowly or stopped arriving; send the whole body promptly and retry."),
                StatusCodes.Status413PayloadTooLarge => ("Request body too large", $"The request body is larger than this endpoint accepts: {bad.Message}"),
                _ => ("Malformed request body", $"The request body could not be read: {bad.Message} Send a complete body with a correct Content-Length or valid chunked encoding."),
            };
            return WriteAsync(http, bad.StatusCode, title, detail);
        }
        return WriteAsync(http, StatusCodes.Status500InternalServerError, "Internal error",
            "The server failed while handling this request; this is a bug on our side, not in your request. Retry, and report it if it persists.");
    }

    private static Task WriteStatusProblemAsync(HttpContext http)
    {
        var status = http.Response.StatusCode;
        var path = Echo(http.Request.Path.Value ?? "/");
        var method = Echo(http.Request.Method);
        var (title, detail) = status switch
        {
            StatusCodes.Status404NotFound => ("Not found", $"There is no resource at {path}. This API serves {ApiSummary}."),
            StatusCodes.Status405MethodNotAllowed => ("Method not allowed",
                $"{path} does not accept {method}{(http.Response.Headers.Allow.Count > 0 ? $"; it accepts {http.Response.Headers.Allow}" : "")}. This API serves {ApiSummary}."),
            StatusCodes.Status400BadRequest => ("Bad request", $"The request to {method} {path} is malformed (a route or query value could not be read). This API serves {ApiSummary}."),
            StatusCodes.Status415UnsupportedMediaType => ("Unsupported media type", "Send JSON with 'Content-Type: application/json'."),
            _ => (ReasonPhrase(status), $"{method} {path} answered {status}. This API serves {ApiSummary}."),
        };
        return WriteAsync(http, status, title, detail);
    }

    private static string ReasonPhrase(int status) =>
        Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : $"Status {status}";

    private static Task WriteAsync(HttpContext http, int status, string title, string detail)
    {
        if (http.Response.HasStarted) return Task.CompletedTask;
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/problem+json";
        var body = new Dictionary<string, object?>
        {
            ["type"] = status is >= 400 and <= 417 or >= 500 and <= 505
                ? $"https://tools.ietf.org/html/rfc9110#section-15.{(status >= 500 ? 6 : 5)}.{(status >= 500 ? status - 499 : status - 399)}"
                : "about:blank",
            ["title"] = title,
            ["status"] = status,
            ["detail"] = detail,
        };
        // HEAD gets the headers only.
        return HttpMethods.IsHead(http.Request.Method) ? Task.CompletedTask : http.Response.WriteAsync(JsonSerializer.Serialize(body), http.RequestAborted);
    }

    /// <summary>Client-supplied text echoed in a detail: at most <see cref="MaxEchoedChars"/> characters.</summary>
    private static string Echo(string value) => SpeechValidation.Echo(value, MaxEchoedChars);

    /// <summary>Turns Kestrel's plain <see cref="IOException"/>s about the body's framing into 400 <see cref="BadHttpRequestException"/>s.</summary>
    private sealed class ClientBodyStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try { return await inner.ReadAsync(buffer, cancellationToken); }
            catch (IOException e) when (e is not BadHttpRequestException && !cancellationToken.IsCancellationRequested)
            {
                throw new BadHttpRequestException(e.Message.TrimEnd('.') + ".", StatusCodes.Status400BadRequest, e);
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

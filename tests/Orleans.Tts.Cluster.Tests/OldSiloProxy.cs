using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// Makes a silo of this version look like a silo of the previous one to frontends (a rolling upgrade half done): an HTTP/2
/// cleartext reverse proxy on loopback, in the test process, that the silo advertises as its internal address
/// (<c>TTS_INTERNAL_ADVERTISE_URL</c>). It forwards everything to the silo's real internal port, streaming the answers
/// through as they come, except <c>POST /internal/v2/sentences</c>, which a silo of the previous version does not have: that
/// gets the 404 problem its router answers for an unknown path. It counts the requests by path.
/// </summary>
public sealed class OldSiloProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new(new SocketsHttpHandler { EnableMultipleHttp2Connections = true })
    {
        DefaultRequestVersion = HttpVersion.Version20,
        DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
        Timeout = Timeout.InfiniteTimeSpan,
    };
    private readonly ConcurrentDictionary<string, int> _requests = new();
    private Uri? _target;

    private OldSiloProxy(WebApplication app) => _app = app;

    /// <summary>Where the proxy listens: the address the "old" silo advertises.</summary>
    public Uri Address { get; private set; } = null!;

    /// <summary>The silo's real internal address, once it has started (until then every request is a 503).</summary>
    public Uri? Target { get => Volatile.Read(ref _target); set => Volatile.Write(ref _target, value); }

    /// <summary>Requests received for <paramref name="path"/> (forwarded or, for the planned-sentence path, refused).</summary>
    public int Requests(string path) => _requests.GetValueOrDefault(path);

    /// <summary>Every path and every path with the status the silo answered, with their counts (for failure messages).</summary>
    public string Summary => string.Join(", ", _requests.OrderBy(r => r.Key).Select(r => $"{r.Key}: {r.Value}"));

    public static async Task<OldSiloProxy> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, l => l.Protocols = HttpProtocols.Http2));
        var app = builder.Build();
        var proxy = new OldSiloProxy(app);
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        proxy.Address = new Uri(address);
        return proxy;
    }

    private async Task HandleAsync(HttpContext http)
    {
        var path = http.Request.Path.Value ?? "/";
        _requests.AddOrUpdate(path, 1, (_, n) => n + 1);
        if (path == SentenceFrames.PlannedPath)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            http.Response.ContentType = "application/problem+json";
            await http.Response.WriteAsync($$"""{"title":"Not found","status":404,"detail":"There is no resource at {{path}}."}""");
            return;
        }
        if (Target is not { } target)
        {
            http.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(http.Request.Method), new Uri(target, path + http.Request.QueryString))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        if (http.Request.ContentLength > 0 || http.Request.ContentType is not null)
        {
            request.Content = new StreamContent(http.Request.Body);
            if (http.Request.ContentType is { } type) request.Content.Headers.TryAddWithoutValidation("Content-Type", type);
        }
        HttpResponseMessage response;
        try
        {
            response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
        }
        catch (HttpRequestException)
        {
            http.Abort(); // the silo is gone: the frontend sees a broken connection, as it would without the proxy
            return;
        }
        using (response)
        {
            http.Response.StatusCode = (int)response.StatusCode;
            _requests.AddOrUpdate($"{path} {(int)response.StatusCode}", 1, (_, n) => n + 1);
            foreach (var (name, values) in response.Headers.Concat(response.Content.Headers))
                if (!name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase) && !name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                    http.Response.Headers[name] = values.ToArray();
            try
            {
                await using var body = await response.Content.ReadAsStreamAsync(http.RequestAborted);
                var buffer = new byte[16 * 1024];
                int n;
                while ((n = await body.ReadAsync(buffer, http.RequestAborted)) > 0)
                {
                    await http.Response.Body.WriteAsync(buffer.AsMemory(0, n), http.RequestAborted);
                    await http.Response.Body.FlushAsync(http.RequestAborted);
                }
            }
            catch (Exception e) when (e is IOException or HttpRequestException)
            {
                http.Abort(); // the silo broke off: so does the proxy
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}

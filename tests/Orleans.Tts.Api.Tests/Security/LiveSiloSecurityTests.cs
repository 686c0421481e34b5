using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using Orleans.Tts.Testing;

namespace Orleans.Tts.Api.Tests.Security;

/// <summary>
/// One real silo process (Kestrel, not the in-memory test server) with keys minted by its own <c>key new</c> command and
/// mounted as a keys file, short slow-client timeouts, and every log line at Trace captured.
/// </summary>
public sealed class LiveSiloFixture : IAsyncLifetime
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tts-auth-live-").FullName;

    public SiloProcess Silo { get; private set; } = null!;
    public string ClientKey { get; private set; } = "";
    public string AdminKey { get; private set; } = "";
    public ConcurrentQueue<string> Log { get; } = new();

    public async Task InitializeAsync()
    {
        var (clientKey, clientLine) = await MintAsync("reporting-svc", admin: false);
        var (adminKey, adminLine) = await MintAsync("ops", admin: true);
        (ClientKey, AdminKey) = (clientKey, adminKey);
        var keysFile = Path.Combine(_dir, "api-keys");
        await File.WriteAllTextAsync(keysFile, $"# minted by `key new`\n{clientLine}\n{adminLine}\n");
        Silo = await SiloProcess.StartAsync(new SiloProcessOptions
        {
            Environment = new Dictionary<string, string?>
            {
                ["TTS_API_KEYS_FILE"] = keysFile,
                ["TTS_API_KEYS"] = null,
                ["TTS_WORKERS"] = "1",
                ["TTS_REQUEST_HEADERS_TIMEOUT_MS"] = "1000",
                ["TTS_MIN_BODY_RATE_GRACE_MS"] = "1500",
                ["Logging__LogLevel__Default"] = "Trace",
                ["Logging__Console__FormatterName"] = "simple",
            },
            OnOutput = Log.Enqueue,
        });
    }

    /// <summary>Runs <c>dotnet Orleans.Tts.Silo.dll key new NAME [--admin]</c>: line 1 the key, line 2 its hash line.</summary>
    private static async Task<(string Key, string HashLine)> MintAsync(string name, bool admin)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in new[] { SiloProcess.LocateSiloDll(), "key", "new", name }.Concat(admin ? ["--admin"] : [])) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, await process.StandardError.ReadToEndAsync());
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return (lines[0], lines[1]);
    }

    public async Task DisposeAsync()
    {
        await Silo.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }
}

public sealed class LiveSiloSecurityTests(LiveSiloFixture live) : IClassFixture<LiveSiloFixture>
{
    private HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = live.Silo.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    [Fact]
    public async Task Keys_never_appear_in_the_silo_log_metrics_or_problems_whether_accepted_or_refused()
    {
        var wrongKey = Frontend.Auth.ApiKeys.Mint();
        var speech = new { input = "Keys stay secret.", voice = "espeak:en-us", response_format = "wav" };
        var seen = new StringBuilder();

        var ok = await Client(live.ClientKey).PostAsJsonAsync("/v1/audio/speech", speech);
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.True(Wav.Parse(await ok.Content.ReadAsByteArrayAsync()).Seconds > 0.5);

        using (var header = new HttpClient { BaseAddress = live.Silo.BaseAddress })
        {
            header.DefaultRequestHeaders.Add("X-Api-Key", live.ClientKey);
            Assert.Equal(HttpStatusCode.OK, (await header.GetAsync("/v1/voices")).StatusCode);
        }
        var refusals = new (HttpClient Client, Func<HttpClient, Task<HttpResponseMessage>> Send, HttpStatusCode Status)[]
        {
            (Client(wrongKey), c => c.PostAsJsonAsync("/v1/audio/speech", speech), HttpStatusCode.Unauthorized),
            (Client(live.ClientKey + "x"), c => c.GetAsync("/v1/voices"), HttpStatusCode.Unauthorized),
            (Client(live.ClientKey), c => c.PostAsync("/admin/models/reload", null), HttpStatusCode.Forbidden),
            (Client(live.ClientKey), c => c.PutAsJsonAsync("/v1/speakers/leak", new { voice = "espeak:en-us" }), HttpStatusCode.Forbidden),
            (Client(null), c => c.PostAsJsonAsync("/v1/audio/speech", speech), HttpStatusCode.Unauthorized),
        };
        foreach (var (client, send, status) in refusals)
        {
            var response = await send(client);
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode}: {body}");
            seen.Append(body).Append(response.Headers).Append('\n');
        }
        var reload = await Client(live.AdminKey).PostAsync("/admin/models/reload", null);
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        seen.Append(await Client(null).GetStringAsync("/metrics"));

        // The log did capture these requests (so the check below can fail), at Trace level.
        await Poll.UntilAsync(() => Task.FromResult(live.Log.Any(l => l.Contains("/admin/models/reload", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10), "the silo's request log of POST /admin/models/reload");
        Assert.Contains(live.Log, l => l.Contains("trce", StringComparison.Ordinal) || l.Contains("dbug", StringComparison.Ordinal));
        var log = string.Join('\n', live.Log);
        foreach (var key in new[] { live.ClientKey, live.AdminKey, wrongKey })
        {
            Assert.DoesNotContain(key, log, StringComparison.Ordinal);
            Assert.DoesNotContain(key[4..24], log, StringComparison.Ordinal);
            Assert.DoesNotContain(key[4..24], seen.ToString(), StringComparison.Ordinal);
        }
        // The names (not the keys) identify the clients.
        Assert.Contains("reporting-svc", seen.ToString());
    }

    /// <summary>A raw connection to the silo that has sent <paramref name="head"/> (part of a request) and nothing more.</summary>
    private async Task<TcpClient> RawRequestAsync(string head)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, live.Silo.BaseAddress.Port);
        await tcp.GetStream().WriteAsync(Encoding.ASCII.GetBytes(head));
        return tcp;
    }

    /// <summary>The silo's answer on a raw connection: its status line, and the headers and body after it (up to the close).</summary>
    private static async Task<(string? Status, string HeadersAndBody)> ResponseAsync(TcpClient tcp)
    {
        using var reader = new StreamReader(tcp.GetStream(), Encoding.ASCII);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        return (await reader.ReadLineAsync(timeout.Token), await reader.ReadToEndAsync(timeout.Token));
    }

    /// <summary>Writes <paramref name="chunk"/> every 200 ms until the silo closes the connection; returns what it answered.</summary>
    private static async Task<(bool Closed, string Received)> TrickleUntilClosedAsync(TcpClient tcp, byte[] chunk, string what)
    {
        var stream = tcp.GetStream();
        var received = new StringBuilder();
        var closed = false;
        await Poll.UntilAsync(async () =>
        {
            try
            {
                await stream.WriteAsync(chunk);
                while (tcp.Client.Poll(0, SelectMode.SelectRead))
                {
                    var buffer = new byte[4096];
                    var n = await stream.ReadAsync(buffer);
                    if (n == 0) return closed = true;
                    received.Append(Encoding.ASCII.GetString(buffer, 0, n));
                }
                return false;
            }
            catch (IOException)
            {
                return closed = true;
            }
        }, TimeSpan.FromSeconds(40), what, TimeSpan.FromMilliseconds(200));
        return (closed, received.ToString());
    }

    [Fact]
    public async Task A_slow_loris_client_trickling_its_headers_is_cut_off_and_the_silo_keeps_serving()
    {
        using var tcp = await RawRequestAsync("POST /v1/audio/speech HTTP/1.1\r\nHost: localhost\r\n");
        var (closed, received) = await TrickleUntilClosedAsync(tcp, "X-Slow: a\r\n"u8.ToArray(), "the silo to close a connection whose headers never end");
        Assert.True(closed);
        Assert.True(received.Length == 0 || received.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), received);
        Assert.Equal(HttpStatusCode.OK, (await Client(null).GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task A_client_trickling_its_body_below_the_minimum_rate_is_cut_off()
    {
        using var tcp = await RawRequestAsync(
            $"POST /v1/audio/speech HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {live.ClientKey}\r\nContent-Type: application/json\r\nContent-Length: 20000\r\n\r\n{{\"input\":\"");
        var (closed, received) = await TrickleUntilClosedAsync(tcp, "a"u8.ToArray(), "the silo to close a connection whose body arrives at a few bytes a second");
        Assert.True(closed);
        Assert.True(received.Length == 0 || received.StartsWith("HTTP/1.1 408", StringComparison.Ordinal), received);
    }

    [Fact]
    public async Task An_oversized_speaker_body_is_a_413_problem_naming_the_limit()
    {
        // Raw socket: the silo answers as soon as it sees Content-Length, before the client could send 5 MB.
        using var tcp = await RawRequestAsync(
            $"POST /v1/speakers HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {live.AdminKey}\r\nContent-Type: application/json\r\nContent-Length: {5 * 1024 * 1024}\r\n\r\n{{\"voice\":\"espeak:en-us\",\"engine_speaker\":\"aaaa");
        var (status, rest) = await ResponseAsync(tcp);
        Assert.Equal("HTTP/1.1 413 Payload Too Large", status);
        Assert.Contains("Content-Type: application/problem+json", rest);
        Assert.Contains("larger than this endpoint accepts (at most 4194304 bytes)", rest);
        Assert.Contains("\"maxBodyBytes\":4194304", rest);
        Assert.DoesNotContain(live.AdminKey, rest);
    }

    [Fact]
    public async Task A_broken_chunked_body_is_a_400_problem_and_not_an_error_in_the_silo_log()
    {
        using var tcp = await RawRequestAsync(
            $"POST /v1/audio/speech HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer {live.ClientKey}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{{\"inp\r\nzz\r\n");
        var (status, rest) = await ResponseAsync(tcp);
        Assert.Equal("HTTP/1.1 400 Bad Request", status);
        Assert.Contains("Content-Type: application/problem+json", rest);
        Assert.Contains("Malformed request body", rest);

        // The silo logs at Trace here: once the request's end is logged, any error entry for it would be there too.
        await Poll.UntilAsync(() => Task.FromResult(live.Log.Any(l => l.Contains("/v1/audio/speech - 400", StringComparison.Ordinal))),
            TimeSpan.FromSeconds(10), "the silo to log the end of the request");
        Assert.DoesNotContain(live.Log, l => l.Contains("ExceptionHandlerMiddleware", StringComparison.Ordinal) || l.Contains("An unhandled exception", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("/v1/speakers/a%00b")]
    [InlineData("/v1/audio/speech%00.onnx")]
    public async Task A_nul_in_the_path_is_a_400_from_the_server_before_any_endpoint(string path)
    {
        var response = await Client(live.ClientKey).GetAsync(path);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client(null).GetAsync("/health")).StatusCode);
    }

    [Fact]
    public async Task Oversized_headers_are_refused_with_431_and_the_silo_keeps_serving()
    {
        using var client = Client(live.ClientKey);
        client.DefaultRequestHeaders.Add("X-Padding", new string('p', 40 * 1024));
        var response = await client.GetAsync("/v1/voices");
        Assert.Equal(HttpStatusCode.RequestHeaderFieldsTooLarge, response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await Client(live.ClientKey).GetAsync("/v1/voices")).StatusCode);
    }
}

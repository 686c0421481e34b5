using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Client;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>The embedded .NET client against a real HTTP server that answers 503 with Retry-After.</summary>
public sealed class ClientTests
{
    private static async Task<(WebApplication App, Uri Address)> ServerAsync(Func<int, IResult> answer)
    {
        var port = SiloProcess.FreeLoopbackPort();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        var calls = 0;
        app.MapPost("/v1/audio/speech", () => answer(Interlocked.Increment(ref calls)));
        await app.StartAsync();
        return (app, new Uri($"http://127.0.0.1:{port}/"));
    }

    private static IResult Busy(int seconds) => new RetryAfterResult(Results.Problem("All workers are busy.", statusCode: 503), seconds);

    private sealed class RetryAfterResult(IResult inner, int seconds) : IResult
    {
        public Task ExecuteAsync(HttpContext http)
        {
            http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
            return inner.ExecuteAsync(http);
        }
    }

    private static ITtsClient Client(Uri address, int attempts) =>
        new ServiceCollection().AddTtsClient(o => { o.BaseAddress = address; o.MaxAttempts = attempts; })
            .BuildServiceProvider().GetRequiredService<ITtsClient>();

    [Fact]
    public async Task The_client_waits_out_two_503s_with_retry_after_and_returns_the_audio_of_the_third_try()
    {
        var tries = 0;
        var (app, address) = await ServerAsync(n => { tries = n; return n <= 2 ? Busy(1) : Results.Bytes("RIFFaudio"u8.ToArray(), "audio/wav"); });
        await using var _ = app;
        var audio = await Client(address, attempts: 4).SynthesizeAsync(new SpeechOptions("Hello."));
        Assert.Equal("RIFFaudio"u8.ToArray(), audio);
        Assert.Equal(3, tries);
    }

    [Fact]
    public async Task When_the_tries_are_spent_the_client_fails_fast_with_a_typed_exception_carrying_retry_after()
    {
        var tries = 0;
        var (app, address) = await ServerAsync(n => { tries = n; return Busy(1); });
        await using var _ = app;
        var e = await Assert.ThrowsAsync<TtsBusyException>(() => Client(address, attempts: 2).SynthesizeAsync(new SpeechOptions("Hello.")));
        Assert.Equal(2, e.Attempts);
        Assert.Equal(TimeSpan.FromSeconds(1), e.RetryAfter);
        Assert.Equal(2, tries);
        Assert.Contains("busy", e.Message);
    }

    [Fact]
    public async Task A_client_error_is_not_retried_and_carries_the_servers_problem()
    {
        var tries = 0;
        var (app, address) = await ServerAsync(n => { tries = n; return Results.Problem("'input' is empty.", statusCode: 400); });
        await using var _ = app;
        var e = await Assert.ThrowsAsync<TtsRequestException>(() => Client(address, attempts: 4).SynthesizeAsync(new SpeechOptions("")));
        Assert.Equal(System.Net.HttpStatusCode.BadRequest, e.Status);
        Assert.Contains("'input' is empty.", e.Problem);
        Assert.Equal(1, tries);
    }
}

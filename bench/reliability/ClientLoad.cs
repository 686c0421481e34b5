using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Tts.ClusterClient;
using Orleans.Tts.Speech;

namespace Orleans.Tts.Reliability;

/// <summary>
/// The open-loop load of <see cref="OpenLoad"/> through the embedded Orleans client (<see cref="ITtsCluster"/>), as another .NET
/// service sends it: 1-sentence commands over 64 callers. Audio is <c>ok</c>; <see cref="SpeechBusyException"/> with a retry time
/// is <c>busy</c>; anything else — an Orleans timeout above all — is an error.
/// </summary>
public sealed class ClientLoad : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly ITtsCluster _cluster;
    private long _sequence = 5_000_000_000;

    private ClientLoad(IHost host)
    {
        _host = host;
        _cluster = host.Services.GetRequiredService<ITtsCluster>();
    }

    public static async Task<ClientLoad> ConnectAsync(LoopbackCluster cluster)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.AddTtsOrleansClient(cluster.ConnectionString, o => (o.ServiceId, o.ClusterId) = (cluster.ClusterId, cluster.ClusterId));
        var host = builder.Build();
        await host.StartAsync();
        return new ClientLoad(host);
    }

    public Task<List<Outcome>> RunAsync(double rate, TimeSpan duration, CancellationToken ct = default, Action<double>? everySecond = null) =>
        OpenLoad.ScheduleAsync(rate, duration, ct, everySecond, (_, started) => SendAsync(started));

    private async Task<Outcome> SendAsync(double startedAt)
    {
        var n = Interlocked.Increment(ref _sequence);
        var started = Stopwatch.GetTimestamp();
        Outcome Done(string result, string? detail = null) => new(RequestKind.Short, startedAt, Stopwatch.GetElapsedTime(started).TotalMilliseconds, result, detail);
        try
        {
            var audio = await _cluster.SynthesizeAsync(new SpeechCommand(OpenLoad.SentenceFor(n), "alloy", "wav", Caller: $"load-{n % 64}"));
            return audio.Content.Length > 1000 ? Done("ok") : Done("error:bad-audio", $"{audio.ContentType}, {audio.Content.Length} bytes");
        }
        catch (SpeechBusyException e)
        {
            // The HTTP outcomes carry the problem body; the same shape keeps the busy reasons grouped alike.
            var problem = System.Text.Json.JsonSerializer.Serialize(new { detail = e.Detail });
            return e.RetryAfter > TimeSpan.Zero ? Done("busy", problem) : Done("error:busy-without-retry-time", problem);
        }
        catch (Exception e)
        {
            return Done("error:" + e.GetType().Name, e.Message.Split('\n')[0]);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }
}

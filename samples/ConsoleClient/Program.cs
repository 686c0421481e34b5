// A small console app. Two ways in:
//   dotnet run --project samples/ConsoleClient -- --redis <connection> ["text"] [out.wav] [voice]
//     joins the cluster as an Orleans client (the silos' Redis; ORLEANS_SERVICE_ID/ORLEANS_CLUSTER_ID if not orleans-tts) and
//     writes the audio through ITtsCluster, without any HTTP call.
//   dotnet run --project samples/ConsoleClient -- [url] [text] [out.wav]   (url default http://127.0.0.1:8080/)
//     the REST API through the HTTP client: streams speech to a WAV file as it is produced, and manages a speaker.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Client;
using Orleans.Tts.ClusterClient;
using Orleans.Tts.Speech;

if (args is ["--redis", var redis, .. var rest]) return await ViaOrleansAsync(redis, rest);

var target = args.Length > 0 ? args[0] : "http://127.0.0.1:8080/";
var text = args.Length > 1 ? args[1] : "Hello from the Orleans text to speech cluster. This second sentence arrives while the first one already plays.";
var path = args.Length > 2 ? args[2] : "speech.wav";

using var services = new ServiceCollection()
    .AddTtsClient(o =>
    {
        o.BaseAddress = new Uri(target);
        o.MaxAttempts = 5;
    })
    .BuildServiceProvider();
var tts = services.GetRequiredService<ITtsClient>();
using var cancel = new CancellationTokenSource();
// Ctrl-C cancels the stream: the client closes its request and the cluster stops synthesising the rest.
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

try
{
    var voices = await tts.ListVoicesAsync(cancel.Token);
    Console.WriteLine($"{voices.Count} voices, e.g. {string.Join(", ", voices.Take(5).Select(v => v.Id))}");

    // A speaker: a base voice with its own speed and pitch, used as the voice "speaker:<id>".
    var speaker = await tts.UpdateSpeakerAsync("sample-narrator", new SpeakerSpec("en-us", Speed: 1.1, Pitch: -1), cancel.Token);
    Console.WriteLine($"speaker {speaker.Id} v{speaker.Version}: {speaker.BaseVoiceId}, speed {speaker.Speed}, pitch {speaker.Pitch}");

    var started = System.Diagnostics.Stopwatch.StartNew();
    await using var file = File.Create(path);
    long bytes = 0;
    await foreach (var chunk in tts.StreamAsync(new SpeechOptions(text, $"speaker:{speaker.Id}"), cancel.Token))
    {
        if (bytes == 0) Console.WriteLine($"first audio after {started.ElapsedMilliseconds} ms");
        await file.WriteAsync(chunk.Data, cancel.Token);
        bytes += chunk.Data.Length;
        Console.Write($"\r{bytes:N0} bytes");
    }
    Console.WriteLine($"\nwrote {path} in {started.ElapsedMilliseconds} ms");
    await tts.DeleteSpeakerAsync(speaker.Id, cancel.Token);
    return 0;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("\ncancelled");
    return 130;
}
catch (TtsBusyException e)
{
    Console.Error.WriteLine($"{e.Message} (retry after {e.RetryAfter?.TotalSeconds} s)");
    return 3;
}
catch (TtsRequestException e)
{
    Console.Error.WriteLine(e.Message);
    return 2;
}
catch (HttpRequestException e)
{
    // TtsUnavailableException (no gateway reachable, or the silo list unreadable) is one too.
    Console.Error.WriteLine($"Cannot reach {target}: {e.Message}");
    return 1;
}


// The Orleans way: the same validation, limits, cache and bytes as POST /v1/audio/speech with response_format wav.
static async Task<int> ViaOrleansAsync(string redis, string[] rest)
{
    var text = rest.Length > 0 ? rest[0] : "Hello from the Orleans text to speech cluster, without a single HTTP call.";
    var path = rest.Length > 1 ? rest[1] : "speech.wav";
    var voice = rest.Length > 2 ? rest[2] : null;
    var builder = Host.CreateApplicationBuilder();
    builder.Logging.SetMinimumLevel(LogLevel.Warning);
    // A cluster that cannot be reached is said once, below, not also as the host's start-up stack trace.
    builder.Logging.AddFilter("Microsoft.Extensions.Hosting", LogLevel.None);
    builder.AddTtsOrleansClient(redis);
    using var host = builder.Build();
    using var cancel = new CancellationTokenSource();
    Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };
    try
    {
        await host.StartAsync(cancel.Token);
        var tts = host.Services.GetRequiredService<ITtsCluster>();
        var started = System.Diagnostics.Stopwatch.StartNew();
        var audio = await tts.SynthesizeAsync(new SpeechCommand(text, voice, "wav", Caller: "console-sample"), cancel.Token);
        await File.WriteAllBytesAsync(path, audio.Content, cancel.Token);
        Console.WriteLine($"wrote {path}: {audio.Content.Length:N0} bytes, {audio.AudioSeconds:0.00} s of {audio.VoiceId} ({(audio.CacheHit ? "cached" : "synthesised")}) in {started.ElapsedMilliseconds} ms");
        await host.StopAsync(CancellationToken.None);
        return 0;
    }
    catch (OperationCanceledException)
    {
        Console.Error.WriteLine("cancelled");
        return 130;
    }
    catch (SpeechBusyException e)
    {
        Console.Error.WriteLine($"{e.Title}: {e.Detail} (retry after {e.RetryAfter.TotalSeconds} s)");
        return 3;
    }
    catch (SpeechRequestInvalidException e)
    {
        Console.Error.WriteLine($"{e.Title} ({e.Status}): {e.Detail}");
        return 2;
    }
    catch (Orleans.Runtime.OrleansException e)
    {
        Console.Error.WriteLine($"Cannot reach the cluster through Redis at {redis}: {e.Message}");
        return 1;
    }
}

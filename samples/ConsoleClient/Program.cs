// A small console app using the embedded client: streams speech to a WAV file as it is produced.
// Usage: dotnet run --project samples/ConsoleClient -- [frontend-url] [text] [out.wav]
using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Client;

var url = args.Length > 0 ? args[0] : "http://127.0.0.1:8080/";
var text = args.Length > 1 ? args[1] : "Hello from the Orleans text to speech cluster. This second sentence arrives while the first one already plays.";
var path = args.Length > 2 ? args[2] : "speech.wav";

using var services = new ServiceCollection()
    .AddTtsClient(o => { o.BaseAddress = new Uri(url); o.MaxAttempts = 5; })
    .BuildServiceProvider();
var tts = services.GetRequiredService<ITtsClient>();
using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) => { e.Cancel = true; cancel.Cancel(); };

try
{
    var voices = await tts.ListVoicesAsync(cancel.Token);
    Console.WriteLine($"{voices.Count} voices, e.g. {string.Join(", ", voices.Take(5).Select(v => v.Id))}");

    var started = System.Diagnostics.Stopwatch.StartNew();
    await using var file = File.Create(path);
    long bytes = 0;
    await foreach (var chunk in tts.StreamAsync(new SpeechOptions(text), cancel.Token))
    {
        if (bytes == 0) Console.WriteLine($"first audio after {started.ElapsedMilliseconds} ms");
        await file.WriteAsync(chunk.Data, cancel.Token);
        bytes += chunk.Data.Length;
        Console.Write($"\r{bytes:N0} bytes");
    }
    Console.WriteLine($"\nwrote {path} in {started.ElapsedMilliseconds} ms");
    return 0;
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
    Console.Error.WriteLine($"Cannot reach {url}: {e.Message}");
    return 1;
}

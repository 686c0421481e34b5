// API-key authentication overhead. Usage: dotnet run -c Release -- [requests per silo and round]
// 1. ApiKeyStore.Authenticate with 1, 100 and 10000 configured keys against SHA-256 of the key alone (the floor).
// 2. GET /v1/voices, sequential, against two real silos started here — one open, one with keys (valid Bearer key) —
//    in alternating rounds so that load on the machine hits both alike; p50/p95 and the ratio to the open silo.
using System.Diagnostics;
using System.Net.Http.Headers;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Tts.Frontend.Auth;
using Orleans.Tts.Testing;

var requests = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 2000;
Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.OSDescription}, .NET {Environment.Version}");

var key = ApiKeys.Mint();
double PerCallMicroseconds(Action call, int n)
{
    for (var i = 0; i < n / 10; i++) call();
    var start = Stopwatch.GetTimestamp();
    for (var i = 0; i < n; i++) call();
    return Stopwatch.GetElapsedTime(start).TotalMicroseconds / n;
}
var floor = PerCallMicroseconds(() => ApiKeys.HashOf(key), 200_000);
Console.WriteLine($"sha256 of a key (floor)          {floor,8:0.00} µs");
foreach (var count in new[] { 1, 100, 10_000 })
{
    var lines = Enumerable.Range(0, count - 1).Select(i => ApiKeys.HashLine($"k{i}", ApiKeyRole.Client, ApiKeys.Mint())).Append(ApiKeys.HashLine("me", ApiKeyRole.Client, key));
    var store = new ApiKeyStore(new ApiKeyOptions(string.Join('\n', lines), null, true), NullLogger<ApiKeyStore>.Instance, TimeProvider.System);
    var us = PerCallMicroseconds(() => store.Authenticate(key), count >= 10_000 ? 5_000 : 200_000);
    Console.WriteLine($"Authenticate, {count,6} keys        {us,8:0.00} µs  ({us / floor:0.0}× the floor)");
}

var keysLine = ApiKeys.HashLine("bench", ApiKeyRole.Client, key);
var common = new Dictionary<string, string?> { ["TTS_WORKERS"] = "1", ["Logging__LogLevel__Default"] = "Warning" };
await using var open = await SiloProcess.StartAsync(new SiloProcessOptions { Environment = common });
await using var guarded = await SiloProcess.StartAsync(new SiloProcessOptions { Environment = new Dictionary<string, string?>(common) { ["TTS_API_KEYS"] = keysLine } });
using var openClient = new HttpClient { BaseAddress = open.BaseAddress };
using var keyClient = new HttpClient { BaseAddress = guarded.BaseAddress };
keyClient.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);

var samples = new Dictionary<string, List<double>> { ["open"] = [], ["keys"] = [] };
async Task Round(string name, HttpClient client, int n, bool record)
{
    for (var i = 0; i < n; i++)
    {
        var start = Stopwatch.GetTimestamp();
        using var response = await client.GetAsync("/v1/voices");
        await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{name}: {(int)response.StatusCode}");
        if (record) samples[name].Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
    }
}
await Round("open", openClient, 200, false);
await Round("keys", keyClient, 200, false);
for (var round = 0; round < 4; round++)
{
    await Round("open", openClient, requests / 4, true);
    await Round("keys", keyClient, requests / 4, true);
}
double P(List<double> s, double q) { var sorted = s.Order().ToList(); return sorted[(int)Math.Min(sorted.Count - 1, q * sorted.Count)]; }
foreach (var (name, s) in samples)
    Console.WriteLine($"GET /v1/voices, {name,-4} silo   p50 {P(s, 0.5):0.000} ms  p95 {P(s, 0.95):0.000} ms  (n={s.Count})");
Console.WriteLine($"ratio keys/open: p50 {P(samples["keys"], 0.5) / P(samples["open"], 0.5):0.00}  p95 {P(samples["keys"], 0.95) / P(samples["open"], 0.95):0.00}");

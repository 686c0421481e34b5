using System.Diagnostics;
using System.Net.Http.Json;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Tts.Synthesis.Engines.Espeak;
using Orleans.Tts.Synthesis.Engines.Phonemes;
using Orleans.Tts.Synthesis.Engines.Piper;
using Orleans.Tts.Synthesis.Engines.Models;

// Throughput of one Piper voice, in seconds of model audio per wall-clock second:
//   raw  MODEL CONFIG ENGINE_HOST_DLL SECONDS THREADS INTRA_OP   in-process OnnxModel.Run on THREADS threads, each
//        request one sentence phonemised through an eSpeak engine host (one per thread) and turned into ids as the silo
//        does, then inferred;
//   http URL VOICE SECONDS CLIENTS [SILO_PID]                    POST /v1/audio/speech from CLIENTS concurrent clients
//        (one sentence per request; Piper's 0.2 s sentence silence is not counted as audio).
// Each side first runs the same load for WARMUP seconds (BENCH_WARMUP, default 5), unmeasured, so that both are
// past JIT tiering and ONNX Runtime's first runs per input shape.
// Prints one line: "<mode> audio_s=A wall_s=W throughput=A/W requests=N p50_ms=P cpu_s=C audio_per_cpu_s=A/C", where
// cpu_s is the CPU time of the timed part: the raw process or the silo, each with its engine-host processes (not the
// clients; the http line adds client_cpu_s, the load generator's own share of the same cores). On a shared machine
// wall-clock throughput follows the neighbours' load; audio per CPU second does not.
string[] sentences =
[
    "The quick brown fox jumps over the lazy dog.",
    "Speech synthesis turns written text into audible words.",
    "A cluster of small workers can serve many requests at once.",
    "Please leave a message after the tone, and we will call you back.",
    "It was the best of times, it was the worst of times.",
    "The meeting has been moved to Thursday afternoon at three.",
    "Every sentence is phonemised, converted to ids and inferred on its own.",
    "Latency matters most for the first audio a listener hears.",
];

if (args.Length < 1) return Usage();
return args[0] switch
{
    "raw" when args.Length == 7 => await RawAsync(args[1], args[2], args[3], double.Parse(args[4]), int.Parse(args[5]), int.Parse(args[6])),
    "http" when args.Length is 5 or 6 => await HttpAsync(new Uri(args[1]), args[2], double.Parse(args[3]), int.Parse(args[4]),
        args.Length == 6 ? int.Parse(args[5]) : null),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: OnnxServing raw MODEL CONFIG ENGINE_HOST_DLL SECONDS THREADS INTRA_OP | http URL VOICE SECONDS CLIENTS [SILO_PID]");
    return 2;
}

async Task<int> RawAsync(string model, string configPath, string engineHost, double seconds, int threads, int intraOp)
{
    var config = PiperConfig.Parse(File.ReadAllText(configPath));
    // What a raw caller must do too: phonemise each sentence (eSpeak NG is one instance per process, so through engine
    // hosts, one per thread, as the silo does) and build its ids; both are timed, per request, with the inference.
    await using var espeak = new EspeakEngine(new EspeakEngineOptions { Hosts = threads, HostPath = engineHost },
        new EspeakTextFrontEnd(s => s, s => s), NullLogger<EspeakEngine>.Instance);
    await espeak.StartAsync(CancellationToken.None);
    async Task<List<long[]>> IdsAsync(string sentence)
    {
        var clauses = await espeak.PhonemizeAsync(config.EspeakVoice, sentence, null, CancellationToken.None);
        return [.. PiperPhonemes.Sentences(clauses.Select(c => new VoicedClause(config.EspeakVoice, c))).Select(p => PiperPhonemeIds.Build(p, config.PhonemeIdMap))];
    }
    // Phonemisation alone, through a warm host, so the gap between the two figures can be split.
    foreach (var sentence in sentences) await IdsAsync(sentence);
    var timer = Stopwatch.StartNew();
    foreach (var sentence in sentences) await IdsAsync(sentence);
    var phonemizeMs = timer.Elapsed.TotalMilliseconds / sentences.Length;

    using var session = OnnxModel.Open(model, new OnnxModelOptions(IntraOpThreads: intraOp, InterOpThreads: 1));
    var output = session.Outputs[0].Name;
    float[] Run(long[] x)
    {
        using var inputs = new OnnxInputs()
            .Add("input", x, 1, x.Length)
            .Add("input_lengths", [(long)x.Length], 1)
            .Add("scales", [config.NoiseScale, config.LengthScale, config.NoiseW], 3);
        return session.Run(inputs, output);
    }
    var cpuBefore = 0.0;
    var result = await Load.RunAsync(threads, seconds, dedicatedThreads: true,
        onMeasureStart: () => cpuBefore = ProcessTreeCpuSeconds(Environment.ProcessId),
        request: async (_, i) => (await IdsAsync(sentences[i % sentences.Length])).Sum(x => (long)Run(x).Length));
    // This process and its engine hosts, as the http side counts the silo and its engine hosts.
    var cpu = ProcessTreeCpuSeconds(Environment.ProcessId) - cpuBefore;
    Report("raw", result.Samples / (double)config.SampleRate, result.WallSeconds, result.Latencies, cpu,
        $" requests_per_s={result.Latencies.Count / result.WallSeconds:F1} phonemize_ms_per_sentence={phonemizeMs:F2}");
    return 0;
}

async Task<int> HttpAsync(Uri baseUri, string voice, double seconds, int clients, int? siloPid)
{
    using var http = new HttpClient { BaseAddress = baseUri, Timeout = TimeSpan.FromMinutes(2) };
    var voices = await http.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1/voices");
    var rate = voices.GetProperty("voices").EnumerateArray().First(v => v.GetProperty("id").GetString() == voice).GetProperty("sampleRate").GetInt32();
    var silence = rate / 5;

    // Each loop is its own client (X-Api-Key): admission lets one client hold only part of the permits.
    async Task<long> SpeakAsync(int client, string text)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech")
        {
            Content = JsonContent.Create(new { input = text, voice, response_format = "wav" }),
        };
        request.Headers.Add("X-Api-Key", $"bench-onnx-serving-{client}");
        // A closed loop with more clients than workers always has requests queued for a permit; on a loaded machine
        // one inference can outlast the default 2 s queue wait, and a 503 would end the run. The client waits instead.
        request.Headers.Add("X-Tts-Max-Wait-Ms", "30000");
        using var response = await http.SendAsync(request);
        var bytes = await response.Content.ReadAsByteArrayAsync();
        if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"{(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
        if (response.Headers.TryGetValues("X-Tts-Cache", out var cache) && cache.Contains("hit"))
            throw new InvalidOperationException("A response was not synthesised for this request (X-Tts-Cache: hit); run the silo with TTS_CACHE_MEMORY_MB=0.");
        return (bytes.Length - 44) / 2 - silence;
    }

    var cpuBefore = 0.0;
    var clientCpuBefore = TimeSpan.Zero;
    var result = await Load.RunAsync(clients, seconds, dedicatedThreads: false,
        onMeasureStart: () =>
        {
            cpuBefore = siloPid is { } p0 ? ProcessTreeCpuSeconds(p0) : double.NaN;
            clientCpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        },
        request: (c, i) => SpeakAsync(c, sentences[i % sentences.Length]));
    var cpu = siloPid is { } p1 ? ProcessTreeCpuSeconds(p1) - cpuBefore : double.NaN;
    var clientCpu = (Process.GetCurrentProcess().TotalProcessorTime - clientCpuBefore).TotalSeconds;
    Report("http", result.Samples / (double)rate, result.WallSeconds, result.Latencies, cpu, $" client_cpu_s={clientCpu:F2}");
    return 0;
}

static void Report(string mode, double audioSeconds, double wallSeconds, List<double> latencies, double cpuSeconds, string extra = "")
{
    latencies.Sort();
    var p50 = latencies.Count > 0 ? latencies[latencies.Count / 2] : 0;
    Console.WriteLine(FormattableString.Invariant(
        $"{mode} audio_s={audioSeconds:F2} wall_s={wallSeconds:F2} throughput={audioSeconds / wallSeconds:F3} requests={latencies.Count} p50_ms={p50:F1} cpu_s={cpuSeconds:F2} audio_per_cpu_s={audioSeconds / cpuSeconds:F3}{extra}"));
}

// User + system time of a process and its children (the silo and its engine hosts), from /proc in USER_HZ ticks.
static double ProcessTreeCpuSeconds(int pid)
{
    const double ticksPerSecond = 100;
    static (int Parent, long Ticks)? Stat(string dir)
    {
        try
        {
            var text = File.ReadAllText(Path.Combine(dir, "stat"));
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            return (int.Parse(fields[1]), long.Parse(fields[11]) + long.Parse(fields[12]));
        }
        catch (IOException)
        {
            return null;
        }
    }
    var stats = Directory.EnumerateDirectories("/proc").Where(d => int.TryParse(Path.GetFileName(d), out _))
        .Select(d => (Pid: int.Parse(Path.GetFileName(d)), Stat: Stat(d))).Where(s => s.Stat is not null).ToList();
    return stats.Where(s => s.Pid == pid || s.Stat!.Value.Parent == pid).Sum(s => s.Stat!.Value.Ticks) / ticksPerSecond;
}

/// <summary>Closed-loop load: <c>concurrency</c> loops each issuing requests back to back, first unmeasured, then measured.</summary>
static class Load
{
    public sealed record Result(long Samples, double WallSeconds, List<double> Latencies);

    public static async Task<Result> RunAsync(int concurrency, double seconds, bool dedicatedThreads, Action onMeasureStart, Func<int, int, Task<long>> request)
    {
        var warmup = TimeSpan.FromSeconds(double.TryParse(Environment.GetEnvironmentVariable("BENCH_WARMUP"), out var w) ? w : 5);
        var samples = new long[concurrency];
        var latencies = new List<double>[concurrency];
        var clock = Stopwatch.StartNew();
        var measureStart = TimeSpan.Zero;
        var end = warmup + TimeSpan.FromSeconds(seconds);
        var warm = 0;
        var allWarm = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var failed = new CancellationTokenSource();

        async Task Loop(int c)
        {
            latencies[c] = [];
            var i = c;
            try
            {
                // Loop c takes items c, c + concurrency, …: no two loops ever send the same text at once, which the
                // silo would answer once for both (single-flight), and every loop covers its own share of the corpus.
                while (clock.Elapsed < warmup && !failed.IsCancellationRequested)
                {
                    await request(c, i);
                    i += concurrency;
                }
                // The measured window starts when every loop is past its warm-up.
                if (Interlocked.Increment(ref warm) == concurrency)
                {
                    onMeasureStart();
                    measureStart = clock.Elapsed;
                    allWarm.TrySetResult();
                }
                await allWarm.Task.WaitAsync(failed.Token);
                while (clock.Elapsed < end && !failed.IsCancellationRequested)
                {
                    var t = Stopwatch.GetTimestamp();
                    samples[c] += await request(c, i);
                    i += concurrency;
                    latencies[c].Add(Stopwatch.GetElapsedTime(t).TotalMilliseconds);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One failing loop ends the run rather than leaving the others waiting for it.
                await failed.CancelAsync();
                throw;
            }
        }

        var loops = Enumerable.Range(0, concurrency).Select(c => dedicatedThreads
            ? Task.Factory.StartNew(() => Loop(c).GetAwaiter().GetResult(), TaskCreationOptions.LongRunning)
            : Task.Run(() => Loop(c)));
        await Task.WhenAll(loops);
        return new Result(samples.Sum(), (clock.Elapsed - measureStart).TotalSeconds, [.. latencies.SelectMany(l => l)]);
    }
}

// Size and CPU of the job audio encodings (Grains/Jobs/JobAudioCodec) on real eSpeak NG output: a silo this program starts
// speaks a few paragraphs sentence by sentence as WAV (16-bit mono), each paragraph is encoded from its sentences (as a unit is)
// and decoded with every format, and the figures are per second of audio on one thread. Usage: dotnet JobAudio.dll --silo Orleans.Tts.Silo.dll [--rounds 5]
// With --words: what recording a job's words costs (CPU per job with and without, the stored words' size).
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Orleans.Tts.Grains.Jobs;

var silo = Arg("--silo") ?? throw new ArgumentException("--silo path/to/Orleans.Tts.Silo.dll is required");
var rounds = int.Parse(Arg("--rounds") ?? "5", CultureInfo.InvariantCulture);
var port = FreePort();
var start = new ProcessStartInfo("dotnet", [silo]) { RedirectStandardOutput = true, RedirectStandardError = true };
start.Environment["TTS_PORT"] = port.ToString(CultureInfo.InvariantCulture);
start.Environment["TTS_WORKERS"] = "1";
start.Environment["TTS_MAX_INPUT_CHARS"] = "20000";
start.Environment["Logging__LogLevel__Default"] = "Warning";
using var process = Process.Start(start)!;
process.OutputDataReceived += (_, _) => { };
process.ErrorDataReceived += (_, _) => { };
process.BeginOutputReadLine();
process.BeginErrorReadLine();
try
{
    using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}/"), Timeout = TimeSpan.FromSeconds(120) };
    var ready = Stopwatch.StartNew();
    while (true)
    {
        try { if ((await http.GetAsync("ready")).IsSuccessStatusCode) break; } catch (HttpRequestException) { }
        if (ready.Elapsed > TimeSpan.FromSeconds(60)) throw new TimeoutException("the silo did not get ready");
        await Task.Delay(200);
    }
    if (args.Contains("--words"))
    {
        await WordsCostAsync(http, process.Id, rounds);
        return;
    }
    string[] texts =
    [
        "The river rose slowly through the night, and by morning the low fields by the mill were under water. Nobody had expected it so early in the year.",
        "Numbers matter here: 1,250 tonnes of grain, 37 barges and 4 locks between the harbour and the city, all of them closed on Sunday.",
        "She asked whether the letters had arrived. He said no, not yet; the post from the north was late again, as it had been all winter.",
        "In the long evenings they read aloud from old travel books, stories of deserts, mountain passes, markets full of spice and noise.",
    ];
    // A unit is stored from its sentences, each synthesised on its own: each paragraph's sentences are requested one by one.
    var clips = new List<(short[] Samples, int Rate, List<short[]> Sentences)>();
    foreach (var (text, voice) in texts.SelectMany(t => new[] { (t, "alloy"), (t, "nova") }))
    {
        var sentences = new List<short[]>();
        var rate = 0;
        foreach (var sentence in System.Text.RegularExpressions.Regex.Split(text, @"(?<=[.;])\s+"))
        {
            var wav = await (await http.PostAsJsonAsync("v1/audio/speech", new { input = sentence, voice, response_format = "wav" })).EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync();
            sentences.Add(MemoryMarshal.Cast<byte, short>(wav.AsSpan(44)).ToArray());
            rate = BitConverter.ToInt32(wav, 24);
        }
        clips.Add((sentences.SelectMany(s => s).ToArray(), rate, sentences));
    }
    var seconds = clips.Sum(c => (double)c.Samples.Length / c.Rate);
    var pcmBytes = clips.Sum(c => 2L * c.Samples.Length);
    Console.WriteLine($"{clips.Count} clips of {clips.Sum(c => c.Sentences.Count)} sentences, {seconds:0.0} s of audio at {string.Join('/', clips.Select(c => c.Rate).Distinct())} Hz, {pcmBytes:N0} bytes of PCM16; {rounds} rounds, one thread");
    Console.WriteLine("| encoding | stored / PCM16 | encode ms CPU per s of audio | decode ms CPU per s of audio |");
    Console.WriteLine("|---|---|---|---|");
    foreach (var format in Enum.GetValues<JobAudioFormat>())
    {
        long stored = 0;
        var encode = TimeSpan.Zero;
        var decode = TimeSpan.Zero;
        for (var round = 0; round < rounds + 1; round++)
        {
            foreach (var (samples, _, sentences) in clips)
            {
                var cpu = ThreadCpu();
                var encoded = JobAudioCodec.EncodeParts(sentences, format);
                var mid = ThreadCpu();
                var back = JobAudioCodec.Decode(encoded);
                var end = ThreadCpu();
                if (!back.AsSpan().SequenceEqual(samples)) throw new InvalidOperationException($"{format} is not lossless");
                if (round == 0) { stored += encoded.Length; continue; } // warm-up round: sizes only
                encode += mid - cpu;
                decode += end - mid;
            }
        }
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {format} | {(double)stored / pcmBytes:0.000} | {encode.TotalMilliseconds / rounds / seconds:0.00} | {decode.TotalMilliseconds / rounds / seconds:0.00} |"));
    }
    // FLAC (libFLAC, level 5, the project's encoder) for comparison: the project has no FLAC decoder, so only size and encode CPU.
    long flacBytes = 0;
    var flacCpu = TimeSpan.Zero;
    for (var round = 0; round < rounds + 1; round++)
    {
        foreach (var (samples, rate, _) in clips)
        {
            var cpu = ThreadCpu();
            using var encoder = new Orleans.Tts.Audio.Codecs.FlacEncoder(rate);
            var output = new System.Buffers.ArrayBufferWriter<byte>();
            encoder.Write(samples, output);
            encoder.Complete(output);
            if (round == 0) { flacBytes += output.WrittenCount; continue; }
            flacCpu += ThreadCpu() - cpu;
        }
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| FLAC level 5 (no decoder here) | {(double)flacBytes / pcmBytes:0.000} | {flacCpu.TotalMilliseconds / rounds / seconds:0.00} | — |"));
}
finally
{
    process.Kill(entireProcessTree: true);
}

// What recording words costs a job: the same job run with "timestamps": "none" and with words (the default), alternately, the
// CPU of the silo and its eSpeak hosts (the whole process tree, from /proc) per run, and the stored words per second of audio.
static async Task WordsCostAsync(HttpClient http, int silo, int rounds)
{
    var text = string.Join(' ', Enumerable.Range(1, 40).Select(i =>
        $"Part {i} of the reading: the river rose slowly through the night, and by morning {i * 37} tonnes of grain were under water."));
    Console.WriteLine($"A job of {text.Length} characters (40 sentences, 4 per unit), one worker; {rounds} rounds of each, alternating");
    var cpu = new Dictionary<string, List<double>> { ["none"] = [], ["word"] = [] };
    double seconds = 0;
    for (var round = 0; round < rounds + 1; round++)
    {
        foreach (var timestamps in new[] { "none", "word" })
        {
            var before = TreeCpu(silo);
            var submitted = await (await http.PostAsJsonAsync("v1/jobs", new { input = text, voice = "alloy", response_format = "wav", timestamps }))
                .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
            var id = submitted.GetProperty("id").GetString();
            while ((await http.GetFromJsonAsync<System.Text.Json.JsonElement>($"v1/jobs/{id}")).GetProperty("state").GetString() is "queued" or "running")
                await Task.Delay(50);
            var used = (TreeCpu(silo) - before).TotalMilliseconds;
            if (round == 0) continue; // warm-up
            cpu[timestamps].Add(used);
            var wav = await http.GetByteArrayAsync($"v1/jobs/{id}/audio");
            seconds = (wav.Length - 44) / 2.0 / BitConverter.ToInt32(wav, 24);
        }
    }
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{seconds:0.0} s of audio per job"));
    Console.WriteLine("| words | CPU ms per job (silo + eSpeak hosts), each round | mean |");
    Console.WriteLine("|---|---|---|");
    foreach (var (mode, runs) in cpu)
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"| {mode} | {string.Join(", ", runs.Select(r => r.ToString("0", CultureInfo.InvariantCulture)))} | {runs.Average():0} |"));
    // The stored words of the same text against its stored audio: the interactive timed request gives the same words a unit records.
    var timed = await (await http.PostAsJsonAsync("v1/audio/speech", new { input = text, voice = "alloy", response_format = "wav", timestamps = "word" }))
        .EnsureSuccessStatusCode().Content.ReadFromJsonAsync<System.Text.Json.JsonElement>();
    var audio = Convert.FromBase64String(timed.GetProperty("audio").GetString()!);
    var rate = BitConverter.ToInt32(audio, 24);
    var words = timed.GetProperty("words").EnumerateArray().Select(w => new Orleans.Tts.Synthesis.WordTiming(w.GetProperty("text_start").GetInt32(),
        w.GetProperty("text_end").GetInt32(), (int)(w.GetProperty("start_ms").GetDouble() * rate / 1000), (int)(w.GetProperty("end_ms").GetDouble() * rate / 1000))).ToList();
    var samples = MemoryMarshal.Cast<byte, short>(audio.AsSpan(44)).ToArray();
    var storedWords = JobUnitWords.Encode(words).Length;
    var storedAudio = JobAudioCodec.Encode(samples).Length;
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"{words.Count} words: {storedWords} bytes stored ({(double)storedWords / words.Count:0.0} per word), {storedWords / seconds:0} bytes per s of audio; the audio {storedAudio} bytes ({100.0 * storedWords / storedAudio:0.00} % of it)"));
}

static TimeSpan TreeCpu(int root)
{
    // utime + stime of the process and its descendants (the eSpeak hosts are long-lived children), in clock ticks of 10 ms.
    var parents = new Dictionary<int, int>();
    var ticks = new Dictionary<int, long>();
    foreach (var dir in Directory.EnumerateDirectories("/proc"))
    {
        if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
        string stat;
        try { stat = File.ReadAllText(Path.Combine(dir, "stat")); } catch (IOException) { continue; } catch (UnauthorizedAccessException) { continue; }
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        parents[pid] = int.Parse(fields[1], CultureInfo.InvariantCulture);
        ticks[pid] = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
    }
    bool InTree(int pid) { for (var p = pid; p > 1; p = parents.GetValueOrDefault(p)) if (p == root) return true; return false; }
    return TimeSpan.FromMilliseconds(10.0 * ticks.Where(t => InTree(t.Key)).Sum(t => t.Value));
}

static TimeSpan ThreadCpu()
{
    // CLOCK_THREAD_CPUTIME_ID: this thread's CPU time, so other processes on the machine do not count.
    clock_gettime(3, out var ts);
    return TimeSpan.FromTicks(ts.Seconds * TimeSpan.TicksPerSecond + ts.Nanoseconds / 100);
}

static int FreePort()
{
    using var listener = new TcpListener(System.Net.IPAddress.Loopback, 0);
    listener.Start();
    return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
}

string? Arg(string name) => Array.IndexOf(args, name) is var i and >= 0 && i + 1 < args.Length ? args[i + 1] : null;

[DllImport("libc", SetLastError = true)]
static extern int clock_gettime(int clock, out TimeSpec value);

[StructLayout(LayoutKind.Sequential)]
struct TimeSpec
{
    public long Seconds;
    public long Nanoseconds;
}

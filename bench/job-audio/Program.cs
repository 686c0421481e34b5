// Size and CPU of the job audio encodings (Grains/Jobs/JobAudioCodec) on real eSpeak NG output: a silo this program starts
// speaks a few paragraphs as WAV (16-bit mono), each is encoded and decoded with every format, and the figures are per second
// of audio on one thread. Usage: dotnet JobAudio.dll --silo Orleans.Tts.Silo.dll [--rounds 5]
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
    string[] texts =
    [
        "The river rose slowly through the night, and by morning the low fields by the mill were under water. Nobody had expected it so early in the year.",
        "Numbers matter here: 1,250 tonnes of grain, 37 barges and 4 locks between the harbour and the city, all of them closed on Sunday.",
        "She asked whether the letters had arrived. He said no, not yet; the post from the north was late again, as it had been all winter.",
        "In the long evenings they read aloud from old travel books, stories of deserts, mountain passes, markets full of spice and noise.",
    ];
    var clips = new List<(short[] Samples, int Rate)>();
    foreach (var (text, voice) in texts.SelectMany(t => new[] { (t, "alloy"), (t, "nova") }))
    {
        var wav = await (await http.PostAsJsonAsync("v1/audio/speech", new { input = text, voice, response_format = "wav" })).EnsureSuccessStatusCode().Content.ReadAsByteArrayAsync();
        clips.Add((MemoryMarshal.Cast<byte, short>(wav.AsSpan(44)).ToArray(), BitConverter.ToInt32(wav, 24)));
    }
    var seconds = clips.Sum(c => (double)c.Samples.Length / c.Rate);
    var pcmBytes = clips.Sum(c => 2L * c.Samples.Length);
    Console.WriteLine($"{clips.Count} clips, {seconds:0.0} s of audio at {string.Join('/', clips.Select(c => c.Rate).Distinct())} Hz, {pcmBytes:N0} bytes of PCM16; {rounds} rounds, one thread");
    Console.WriteLine("| encoding | stored / PCM16 | encode ms CPU per s of audio | decode ms CPU per s of audio |");
    Console.WriteLine("|---|---|---|---|");
    foreach (var format in Enum.GetValues<JobAudioFormat>())
    {
        long stored = 0;
        var encode = TimeSpan.Zero;
        var decode = TimeSpan.Zero;
        for (var round = 0; round < rounds + 1; round++)
        {
            foreach (var (samples, _) in clips)
            {
                var cpu = ThreadCpu();
                var encoded = JobAudioCodec.Encode(samples, format);
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
        foreach (var (samples, rate) in clips)
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

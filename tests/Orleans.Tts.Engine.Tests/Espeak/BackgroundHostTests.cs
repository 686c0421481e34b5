using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Tts.Audio.Codecs;
using Orleans.Tts.Synthesis.Engines.Espeak;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Engine.Tests.Espeak;

/// <summary>An engine with one interactive host and one background host (for job sentences) at below-normal priority.</summary>
public sealed class BackgroundHostTests : IAsyncLifetime
{
    private static readonly SynthesisOptions Interactive = SynthesisOptions.Default;
    private static readonly SynthesisOptions Background = new(Background: true);

    private readonly EspeakEngine _engine = new(
        new EspeakEngineOptions { Hosts = 1, BackgroundHosts = 1 },
        new EspeakTextFrontEnd(TextFrontEnds.Mandarin.ToPinyin, TextFrontEnds.Japanese.ToKana),
        NullLogger<EspeakEngine>.Instance);

    public Task InitializeAsync() => _engine.StartAsync(CancellationToken.None);

    public async Task DisposeAsync() => await _engine.DisposeAsync();

    [Fact]
    public async Task Background_sentences_run_only_on_the_host_at_nice_10_and_interactive_ones_only_on_the_normal_host()
    {
        var (normal, background) = Hosts();
        Assert.Equal("1/1", _engine.Describe()["espeak.hosts"]);
        Assert.StartsWith("1/1", _engine.Describe()["espeak.backgroundHosts"]);

        // CPU time (clock ticks of 10 ms) each host spends: only the host of the sentence's kind works. Both have spoken and
        // settled first (a host's runtime keeps compiling for a moment after its first sentences).
        AudioAssert.IsSpeech(await _engine.SynthesizeSentenceAsync("espeak:en-us", "A first interactive sentence.", Interactive, CancellationToken.None), 0.5, 5.0);
        AudioAssert.IsSpeech(await _engine.SynthesizeSentenceAsync("espeak:en-us", "A first background sentence.", Background, CancellationToken.None), 0.5, 5.0);
        await Settled(normal);
        await Settled(background);
        var before = (Cpu(normal), Cpu(background));
        foreach (var i in Enumerable.Range(0, 30))
            AudioAssert.IsSpeech(await _engine.SynthesizeSentenceAsync("espeak:en-us", $"Background sentence number {i} is read aloud for a long job in the night.", Background, CancellationToken.None), 1.0, 10.0);
        var afterBackground = (Cpu(normal), Cpu(background));
        Assert.True(afterBackground.Item2 - before.Item2 >= 5, $"the background host used {afterBackground.Item2 - before.Item2} ticks for 30 sentences");
        Assert.True(afterBackground.Item1 - before.Item1 <= 2, $"the interactive host used {afterBackground.Item1 - before.Item1} ticks while only background sentences ran");

        await Settled(background);
        afterBackground = (Cpu(normal), Cpu(background));
        foreach (var i in Enumerable.Range(0, 30))
            AudioAssert.IsSpeech(await _engine.SynthesizeSentenceAsync("espeak:en-us", $"Interactive sentence number {i} is read aloud for a waiting client now.", Interactive, CancellationToken.None), 1.0, 10.0);
        var afterInteractive = (Cpu(normal), Cpu(background));
        Assert.True(afterInteractive.Item1 - afterBackground.Item1 >= 5, $"the interactive host used {afterInteractive.Item1 - afterBackground.Item1} ticks for 30 sentences");
        Assert.True(afterInteractive.Item2 - afterBackground.Item2 <= 2, $"the background host used {afterInteractive.Item2 - afterBackground.Item2} ticks while only interactive sentences ran");
    }

    [Fact]
    public async Task A_packed_background_sentence_unpacks_to_the_speech_the_host_made()
    {
        const string text = "A job sentence is packed by the host that spoke it.";
        var clip = await _engine.SynthesizeSentenceAsync("espeak:en-us", text, Background, CancellationToken.None);
        using var packed = await _engine.SynthesizeSentencePackedAsync("espeak:en-us", text, Background, CancellationToken.None);
        Assert.NotNull(packed);
        Assert.Equal(clip.SampleRate, packed.SampleRate);
        var samples = new short[packed.SampleCount];
        PackedPcm.Unpack(packed.Bytes, samples);
        AudioAssert.IsSpeech(new AudioClip(packed.SampleRate, samples), 1.5, 6.0);
        // eSpeak's frication noise is random, so the same sentence twice differs a little: lengths within 0.1 s, levels within 1.5 dB.
        Assert.InRange(samples.Length, clip.Samples.Length - clip.SampleRate / 10, clip.Samples.Length + clip.SampleRate / 10);
        Assert.InRange(AudioAssert.RmsDbfs(samples), AudioAssert.RmsDbfs(clip.Samples) - 1.5, AudioAssert.RmsDbfs(clip.Samples) + 1.5);
        Assert.True(packed.Bytes.Length < samples.Length * 2 * 0.8, $"{samples.Length} samples packed into {packed.Bytes.Length} bytes");

        // Only background sentences are packed (interactive ones are sent as they are), and not those stretched in the silo after
        // eSpeak (speeds below its slowest rate).
        Assert.Null(await _engine.SynthesizeSentencePackedAsync("espeak:en-us", text, Interactive, CancellationToken.None));
        Assert.Null(await _engine.SynthesizeSentencePackedAsync("espeak:en-us", text, Background with { Speed = 0.3 }, CancellationToken.None));
        await Assert.ThrowsAsync<UnknownVoiceException>(async () => await _engine.SynthesizeSentencePackedAsync("espeak:xx-none", text, Background, CancellationToken.None));
    }

    [Fact]
    public async Task A_killed_background_host_is_replaced_by_another_background_host_at_nice_10()
    {
        var (normal, background) = Hosts();
        Process.GetProcessById(background).Kill();
        // The next background sentence finds it dead, is retried on its replacement, and is spoken.
        AudioAssert.IsSpeech(await _engine.SynthesizeSentenceAsync("espeak:en-us", "The job goes on after the crash.", Background, CancellationToken.None), 0.8, 5.0);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (_engine.HostProcessIds.Count < 2 || _engine.HostProcessIds.Contains(background))
        {
            Assert.True(DateTime.UtcNow < deadline, "No replacement background host started within 60 s.");
            await Task.Delay(50);
        }
        var (normalAfter, replacement) = Hosts();
        Assert.Equal(normal, normalAfter);
        Assert.NotEqual(background, replacement);
    }

    /// <summary>
    /// Waits until no thread of the host has run or waited to run for half a second (its runtime's start-up and tier-up work
    /// is over). Clock ticks alone are not enough: under the parallel test run a host at nice 10 gets little CPU, so its
    /// runtime's leftover work could sit in the run queue, charge no tick for half a second, and then run during the next
    /// phase (seen once in a fresh-clone `./tts test`: 3 ticks on the idle background host).
    /// </summary>
    private static async Task Settled(int pid)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var last = Scheduled(pid);
        while (true)
        {
            await Task.Delay(500);
            var now = Scheduled(pid);
            if (now == last) return;
            Assert.True(DateTime.UtcNow < deadline, $"engine host {pid} kept using CPU for 30 s while idle");
            last = now;
        }
    }

    /// <summary>The host at nice 0 and the one at nice 10 (exactly one of each).</summary>
    private (int Normal, int Background) Hosts()
    {
        var byNice = _engine.HostProcessIds.ToLookup(Nice);
        return (Assert.Single(byNice[0]), Assert.Single(byNice[10]));
    }

    private static string[] Stat(int pid)
    {
        var raw = File.ReadAllText($"/proc/{pid}/stat");
        return raw[(raw.LastIndexOf(')') + 2)..].Split(' '); // from field 3 (state): [11] utime, [12] stime, [16] nice
    }

    private static int Nice(int pid) => int.Parse(Stat(pid)[16], CultureInfo.InvariantCulture);

    /// <summary>
    /// Nanoseconds the host's live threads have run plus waited in the run queue (/proc/PID/task/*/schedstat). It is unchanged
    /// only while every thread sleeps; an exiting thread changes it too.
    /// </summary>
    private static long Scheduled(int pid) => Directory.GetDirectories($"/proc/{pid}/task").Sum(task =>
    {
        string[] fields;
        try { fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' '); }
        catch (IOException) { return 0; } // the thread exited since the listing: the sum changes, so not settled yet
        return long.Parse(fields[0], CultureInfo.InvariantCulture) + long.Parse(fields[1], CultureInfo.InvariantCulture);
    });

    private static long Cpu(int pid) => long.Parse(Stat(pid)[11], CultureInfo.InvariantCulture) + long.Parse(Stat(pid)[12], CultureInfo.InvariantCulture);
}

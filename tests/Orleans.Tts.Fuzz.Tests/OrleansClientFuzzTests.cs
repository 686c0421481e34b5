using Orleans.Tts.Fuzz;
using Orleans.Tts.Speech;
using Orleans.Tts.Testing;

namespace Orleans.Tts.Fuzz.Tests;

/// <summary>
/// Hostile records through the Orleans client's entry point (<c>ITtsCluster</c>), as another .NET service sends them: a short
/// fixed-seed run of <c>bench/run fuzz --orleans</c> against a real silo in Redis cluster mode.
/// </summary>
public sealed class OrleansClientFuzzTests : IAsyncLifetime
{
    private OrleansTarget _target = null!;

    public async Task InitializeAsync() => _target = await OrleansTarget.StartAsync(SiloProcess.LocateSiloDll());

    public async Task DisposeAsync() => await _target.DisposeAsync();

    [Fact]
    public async Task Six_hundred_seeded_hostile_commands_get_audio_a_typed_4xx_refusal_or_a_typed_busy_answer_and_nothing_else()
    {
        var report = await new CommandFuzzRunner(_target.Cluster, new FuzzOptions
        {
            Seed = 20261207, Cases = 600, Concurrency = 4, ServerPid = _target.Silo.ProcessId, EarlyMark = 200,
        }).RunAsync();

        Assert.True(report.Passed, report.Summary() + Environment.NewLine + _target.Silo.FormatOutput());
        Assert.Equal(600, report.Cases);
        // The cases reach audio (whole and streamed), refusals of bad fields and of too-long input.
        Assert.All(new[] { "audio", "left", "400", "413" }, label => Assert.True(report.ByStatus.GetValueOrDefault(label) > 0, $"no {label}: {report.Summary()}"));
        Assert.Equal(CommandGenerator.CategoryNames.Order(), report.ByCategory.Keys.Order());
    }

    [Fact]
    public async Task A_NUL_in_a_commands_input_is_spoken_past_not_taken_for_the_end_of_the_text()
    {
        var plain = await _target.Cluster.SynthesizeAsync(new SpeechCommand("Hello there. The river runs past the hill.", "alloy", "pcm"));
        var withNuls = await _target.Cluster.SynthesizeAsync(new SpeechCommand("\0Hello there.\0 The river runs past\0 the hill.", "alloy", "pcm"));

        Assert.InRange(withNuls.Content.Length, plain.Content.Length * 0.85, plain.Content.Length * 1.15);
    }

    [Fact]
    public async Task A_stream_the_voice_makes_no_sound_for_is_refused_before_its_first_chunk()
    {
        var refused = await Assert.ThrowsAsync<SpeechRequestInvalidException>(async () =>
        {
            await foreach (var _ in _target.Cluster.StreamAsync(new SpeechCommand("𝟘𝟙", "espeak:cmn", "pcm"))) { }
        });
        Assert.Equal((400, "Nothing to speak"), (refused.Status, refused.Title));
    }

    [Fact]
    public async Task An_engine_that_crashes_mid_stream_reaches_the_client_as_the_typed_busy_answer()
    {
        // Fuzz case 53091 of seed 22: this build's libespeak-ng aborts ("buffer overflow detected") on a piece of this text in
        // the Cantonese voice, on the retry too, after the stream's first chunk. The engine's own exception has no codec at
        // an Orleans client (CodecNotFoundException before the fix).
        var command = new SpeechCommand(new string('9', 310), "espeak:yue", "opus");
        try
        {
            long bytes = 0;
            await foreach (var chunk in _target.Cluster.StreamAsync(command)) bytes += chunk.Audio.Length;
            Assert.True(bytes > 1000, "a stream that ended without audio");
        }
        catch (SpeechBusyException busy)
        {
            Assert.True(busy.RetryAfter > TimeSpan.Zero);
            Assert.Contains("retry", busy.Detail);
        }
    }

    [Fact]
    public void The_same_seed_and_case_index_always_make_the_same_command()
    {
        foreach (var index in new long[] { 0, 1, 77, 4096, 99_999 })
            Assert.Equal(new CommandGenerator(5).Case(index).Preview(10_000), new CommandGenerator(5).Case(index).Preview(10_000));
        Assert.NotEqual(new CommandGenerator(5).Case(1).Preview(), new CommandGenerator(6).Case(1).Preview());
    }
}

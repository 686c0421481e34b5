using System.Text;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Synthesis.Engines.Piper;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices.Tests.Fixtures;

namespace Orleans.Tts.Voices.Tests;

[Collection(VoicesCollection.Name)]
public sealed class PiperEngineTests(VoiceModels models) : IDisposable
{
    private const string Ipa = "həlˈoʊ wˈɜːld";
    private static readonly Dictionary<string, long[]> Map = PiperConfigFile.SmallMap(" ,.həlˈoʊwɜːd");

    private readonly ModelsDirectory _dir = new(models);
    private readonly ScriptedPhonemizer _phonemizer = new();

    public void Dispose() => _dir.Dispose();

    private static long[] IdsOf(string phonemes) =>
        PiperPhonemeIds.Build([.. phonemes.EnumerateRunes()], Map.ToDictionary(e => Rune.GetRuneAt(e.Key, 0), e => e.Value));

    private async Task<PiperEngine> StartAsync(PiperEngine engine)
    {
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }

    [Fact]
    public async Task The_model_receives_exactly_the_ids_piper_builds_from_the_phonemes()
    {
        _dir.AddPiper("en_US-test-medium", "piper-single.onnx", new PiperConfigFile(Map));
        await using var engine = await StartAsync(_dir.Piper(_phonemizer));

        var clip = await engine.SynthesizeSentenceAsync("piper:en_US-test-medium", Ipa + ".", SynthesisOptions.Default, default);

        Assert.Equal(22050, clip.SampleRate);
        Assert.Equal(IdsOf(Ipa + "."), Decode.Ids(clip.Samples, models.Piper.Segment, models.Piper.Segment, models.Piper.BaseCycles));
        Assert.Equal(("en-us", (char?)null), _phonemizer.Calls.Select(c => (c.Voice, c.Tie)).Single());
    }

    [Fact]
    public async Task Phonemes_the_voice_has_no_id_for_are_dropped_with_a_debug_log()
    {
        _dir.AddPiper("v", "piper-single.onnx", new PiperConfigFile(Map));
        var log = new ListLogger<PiperEngine>();
        await using var engine = await StartAsync(_dir.Piper(_phonemizer, logger: log));

        var clip = await engine.SynthesizeSentenceAsync("piper:v", "hʒəʒl", SynthesisOptions.Default, default);

        Assert.Equal(IdsOf("həl"), Decode.Ids(clip.Samples, models.Piper.Segment, models.Piper.Segment, models.Piper.BaseCycles));
        var entry = Assert.Single(log.Entries, e => e.Level == LogLevel.Debug);
        Assert.Contains("'ʒ' (U+0292) ×2", entry.Message);
    }

    [Fact]
    public async Task Each_speaker_of_a_multi_speaker_voice_is_a_voice_whose_sid_reaches_the_model()
    {
        _dir.AddPiper("duo", "piper-multi.onnx", new PiperConfigFile(Map, NumSpeakers: 2, Speakers: new Dictionary<string, long> { ["alice"] = 0, ["bob"] = 1 }));
        await using var engine = await StartAsync(_dir.Piper(_phonemizer));
        var p = models.Piper;

        Assert.Equal(["piper:duo", "piper:duo#alice", "piper:duo#bob"], engine.Voices.Select(v => v.Id));
        Assert.Equal(["alice", "bob"], engine.Voices[0].Speakers!);
        foreach (var (voice, sid) in new[] { ("piper:duo", 0), ("piper:duo#alice", 0), ("piper:duo#bob", 1) })
        {
            var clip = await engine.SynthesizeSentenceAsync(voice, Ipa, SynthesisOptions.Default, default);
            Assert.Equal(IdsOf(Ipa), Decode.Ids(clip.Samples, p.Segment, p.Segment, p.BaseCycles, offset: sid * p.SidCycles));
        }
    }

    [Theory]
    [InlineData(0.5, 1.0f)]
    [InlineData(1.0, 1.0f)]
    [InlineData(2.0, 1.0f)]
    [InlineData(1.0, 1.5f)]
    [InlineData(2.0, 1.5f)]
    public async Task Speed_divides_the_configured_length_scale(double speed, float lengthScale)
    {
        _dir.AddPiper("v", "piper-single.onnx", new PiperConfigFile(Map, LengthScale: lengthScale));
        await using var engine = await StartAsync(_dir.Piper(_phonemizer));

        var clip = await engine.SynthesizeSentenceAsync("piper:v", Ipa, new SynthesisOptions(Speed: speed), default);

        var segment = (int)Math.Round(models.Piper.Segment * (float)(lengthScale / speed));
        Assert.Equal(IdsOf(Ipa).Length * segment, clip.Samples.Length);
        Assert.Equal(IdsOf(Ipa), Decode.Ids(clip.Samples, segment, models.Piper.Segment, models.Piper.BaseCycles));
    }

    [Theory]
    [InlineData("piper-single.onnx")]
    [InlineData("piper-rank3.onnx")]
    public async Task Outputs_of_rank_4_and_rank_3_give_the_same_audio(string model)
    {
        _dir.AddPiper("v", model, new PiperConfigFile(Map));
        await using var engine = await StartAsync(_dir.Piper(_phonemizer));

        var clip = await engine.SynthesizeSentenceAsync("piper:v", Ipa, SynthesisOptions.Default, default);

        Assert.Equal(IdsOf(Ipa), Decode.Ids(clip.Samples, models.Piper.Segment, models.Piper.Segment, models.Piper.BaseCycles));
    }

    [Fact]
    public async Task Each_sentence_is_inferred_alone_and_followed_by_the_sentence_silence()
    {
        _dir.AddPiper("v", "piper-single.onnx", new PiperConfigFile(Map, SampleRate: 16000));
        await using var engine = await StartAsync(_dir.Piper(_phonemizer, _dir.Options(TimeSpan.FromSeconds(0.25))));
        var segment = models.Piper.Segment;

        var clip = await engine.SynthesizeSentenceAsync("piper:v", "həl. wˈɜːld.", SynthesisOptions.Default, default);

        const int silence = 4000; // 0.25 s at the config's 16 kHz
        var first = IdsOf("həl.");
        var second = IdsOf("wˈɜːld.");
        Assert.Equal(16000, clip.SampleRate);
        Assert.Equal((first.Length + second.Length) * segment + 2 * silence, clip.Samples.Length);
        Assert.Equal(first, Decode.Ids(clip.Samples.AsSpan(0, first.Length * segment), segment, segment, models.Piper.BaseCycles));
        Assert.All(clip.Samples.AsSpan(first.Length * segment, silence).ToArray(), s => Assert.Equal(0, s));
        Assert.Equal(second, Decode.Ids(clip.Samples.AsSpan(first.Length * segment + silence, second.Length * segment), segment, segment, models.Piper.BaseCycles));
    }

    [Fact]
    public async Task Each_phrase_is_scaled_to_full_range_as_piper_does()
    {
        _dir.AddPiper("v", "piper-single.onnx", new PiperConfigFile(Map));
        await using var engine = await StartAsync(_dir.Piper(_phonemizer));

        var clip = await engine.SynthesizeSentenceAsync("piper:v", Ipa, SynthesisOptions.Default, default);

        // The fixture's tones have amplitude 0.5; Piper scales the peak to 32767.
        Assert.InRange(clip.Samples.Max(s => Math.Abs((int)s)), 32700, 32767);
    }

    [Fact]
    public async Task A_voice_with_text_phonemes_feeds_the_code_points_without_espeak()
    {
        _dir.AddPiper("t", "piper-single.onnx", new PiperConfigFile(PiperConfigFile.SmallMap("abc "), PhonemeType: "text"));
        await using var engine = await StartAsync(_dir.Piper(_phonemizer));

        var clip = await engine.SynthesizeSentenceAsync("piper:t", "ab ca", SynthesisOptions.Default, default);

        Assert.Equal([1, 0, 3, 0, 4, 0, 6, 0, 5, 0, 3, 0, 2], Decode.Ids(clip.Samples, models.Piper.Segment, models.Piper.Segment, models.Piper.BaseCycles));
        Assert.Empty(_phonemizer.Calls);
    }

    [Fact]
    public async Task Models_without_a_config_or_with_a_broken_file_are_reported_and_the_others_load()
    {
        _dir.AddPiper("good", "piper-single.onnx", new PiperConfigFile(Map));
        _dir.AddPiper("broken", "broken.onnx", new PiperConfigFile(Map));
        _dir.AddPiper("noconfig", "piper-single.onnx", new PiperConfigFile(Map));
        File.Delete(Path.Combine(_dir.PiperDirectory, "noconfig.onnx.json"));
        await using var engine = await StartAsync(_dir.Piper(_phonemizer));

        Assert.Equal(["piper:good"], engine.Voices.Select(v => v.Id));
        Assert.Equal(["piper/broken.onnx", "piper/noconfig.onnx"], engine.Failures.Select(f => f.Path));
        Assert.Contains("Protobuf", engine.Failures[0].Error);
        Assert.Contains("no Piper config noconfig.onnx.json beside it", engine.Failures[1].Error);
        Assert.Equal(engine.Failures[0].Error, engine.Describe()["piper.failed:piper/broken.onnx"]);
    }

    [Theory]
    [InlineData(12.0)]
    [InlineData(-12.0)]
    [InlineData(7.0)]
    public async Task Pitch_shifts_every_frequency_and_keeps_the_duration(double semitones)
    {
        // Every id the same, so the model's output is one steady tone.
        var steady = new Dictionary<string, long[]> { ["_"] = [5], ["^"] = [5], ["$"] = [5], ["c"] = [5] };
        _dir.AddPiper("v", "piper-single.onnx", new PiperConfigFile(steady));
        await using var engine = await StartAsync(_dir.Piper(_phonemizer));
        var p = models.Piper;

        var plain = await engine.SynthesizeSentenceAsync("piper:v", "cccccccccccccccc", SynthesisOptions.Default, default);
        var shifted = await engine.SynthesizeSentenceAsync("piper:v", "cccccccccccccccc", new SynthesisOptions(Pitch: semitones), default);

        Assert.Equal(plain.Samples.Length, shifted.Samples.Length);
        var middle = Decode.ToFloat(shifted.Samples).AsSpan(shifted.Samples.Length / 2 - 2 * p.Segment, 4 * p.Segment);
        var tone = 4 * (p.BaseCycles + 5);
        var moved = tone * Math.Pow(2, semitones / 12);
        Assert.True(Onnx.Tests.Audio.Amplitude(middle, moved, 4 * p.Segment) > 0.8, "the tone is not at its shifted frequency");
        Assert.True(Onnx.Tests.Audio.Amplitude(middle, tone, 4 * p.Segment) < 0.1, "the tone is still at its original frequency");
    }
}

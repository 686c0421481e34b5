using Orleans.Tts.Synthesis.Engines.Kokoro;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices.Tests.Fixtures;

namespace Orleans.Tts.Voices.Tests;

[Collection(VoicesCollection.Name)]
public sealed class KokoroEngineTests(VoiceModels models) : IDisposable
{
    private readonly ModelsDirectory _dir = new(models);
    private readonly ScriptedPhonemizer _phonemizer = new();

    public void Dispose() => _dir.Dispose();

    private int Segment => models.Kokoro.Segment;

    private static float RowValue(int row) => (row + 1) / 1024f;

    private async Task<KokoroEngine> StartAsync()
    {
        var engine = _dir.Kokoro(_phonemizer);
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }

    private double PadAmplitude(AudioClip clip, int segmentIndex) =>
        Decode.Amplitude(clip, segmentIndex, Segment, Segment, models.Kokoro.BaseCycles);

    private static float[] Row(KokoroVoiceTable table, int row) => table.Values.Slice(row * KokoroVoiceTable.StyleDim, KokoroVoiceTable.StyleDim).ToArray();

    [Fact]
    public async Task The_model_receives_the_vocabulary_ids_between_two_zero_pads()
    {
        _dir.AddKokoroModel();
        _dir.AddVoice("ef_test", 510, RowValue);
        await using var engine = await StartAsync();

        var clip = await engine.SynthesizeSentenceAsync("kokoro:ef_test", "ola", SynthesisOptions.Default, default);

        Assert.Equal(KokoroModel.SampleRate, clip.SampleRate);
        Assert.Equal([0, 57, 54, 43, 0], Decode.Ids(clip.Samples, Segment, Segment, models.Kokoro.BaseCycles));
        Assert.Equal(("es", (char?)'^'), _phonemizer.Calls.Select(c => (c.Voice, c.Tie)).Single());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(20)]
    public async Task The_style_is_the_voice_table_row_of_the_token_count(int tokens)
    {
        _dir.AddKokoroModel();
        _dir.AddVoice("ef_test", 510, RowValue);
        await using var engine = await StartAsync();

        var clip = await engine.SynthesizeSentenceAsync("kokoro:ef_test", new string('a', tokens), SynthesisOptions.Default, default);

        Assert.Equal(tokens + 2, clip.Samples.Length / Segment);
        Assert.Equal(RowValue(tokens), PadAmplitude(clip, 0), 4);
    }

    [Fact]
    public async Task Inputs_longer_than_the_table_use_its_last_row()
    {
        _dir.AddKokoroModel();
        _dir.AddVoice("ef_short", 10, RowValue);
        await using var engine = await StartAsync();

        var clip = await engine.SynthesizeSentenceAsync("kokoro:ef_short", new string('a', 30), SynthesisOptions.Default, default);

        Assert.Equal(RowValue(9), PadAmplitude(clip, 0), 4);
    }

    [Fact]
    public void A_blend_of_two_published_voice_tables_is_their_weighted_mean()
    {
        var bella = KokoroVoiceTable.Load(models.KokoroVoice("af_bella"));
        var sky = KokoroVoiceTable.Load(models.KokoroVoice("af_sky"));

        var blend = KokoroVoiceTable.Blend([(bella, 0.7), (sky, 0.3)]);

        Assert.Equal((510, 510, 510), (bella.Rows, sky.Rows, blend.Rows));
        for (var i = 0; i < blend.Values.Length; i++)
            Assert.Equal(0.7 * bella.Values[i] + 0.3 * sky.Values[i], blend.Values[i], tolerance: 1e-6);
        Assert.NotEqual(bella.Values[1000], blend.Values[1000]);
    }

    [Theory]
    [InlineData("kokoro:af_bella*0.7+af_sky*0.3")]
    [InlineData("kokoro:af_bella*7+af_sky*3")]
    [InlineData("KOKORO:AF_BELLA*70+af_sky*30")]
    public async Task A_blend_named_at_request_time_reaches_the_model_as_the_weighted_mean_row(string voiceId)
    {
        _dir.AddKokoroModel();
        _dir.AddRealVoice("af_bella");
        _dir.AddRealVoice("af_sky");
        await using var engine = await StartAsync();
        var bella = Row(KokoroVoiceTable.Load(models.KokoroVoice("af_bella")), 5);
        var sky = Row(KokoroVoiceTable.Load(models.KokoroVoice("af_sky")), 5);

        var blended = await engine.SynthesizeSentenceAsync(voiceId, "aaaaa", SynthesisOptions.Default, default);
        var alone = await engine.SynthesizeSentenceAsync("kokoro:af_bella", "aaaaa", SynthesisOptions.Default, default);

        var expected = Math.Abs(0.7 * bella.Average() + 0.3 * sky.Average());
        Assert.Equal(expected, PadAmplitude(blended, 0), 4);
        Assert.Equal(Math.Abs(bella.Average()), PadAmplitude(alone, 0), 4);
        Assert.DoesNotContain(engine.Voices, v => v.Id == voiceId);
        Assert.Equal(["kokoro:af_bella", "kokoro:af_sky"], engine.Voices.Select(v => v.Id));
    }

    [Theory]
    [InlineData("kokoro:af_bella+nobody", "names 'nobody', which is not a Kokoro voice here")]
    [InlineData("kokoro:af_bella*0+af_sky", "must be a positive number")]
    public async Task A_blend_that_cannot_be_built_is_refused_with_the_reason(string voiceId, string reason)
    {
        _dir.AddKokoroModel();
        _dir.AddRealVoice("af_bella");
        _dir.AddRealVoice("af_sky");
        await using var engine = await StartAsync();

        var error = Assert.Throws<UnknownVoiceException>(() => engine.Compose(voiceId));

        Assert.Contains(reason, error.Message);
        Assert.Null(engine.Compose("kokoro:af_nobody"));
    }

    [Fact]
    public async Task Input_longer_than_one_inference_is_split_at_a_clause_and_the_audio_joined()
    {
        _dir.AddKokoroModel();
        _dir.AddVoice("ef_test", 510, RowValue);
        await using var engine = await StartAsync();
        var first = string.Concat(Enumerable.Repeat("ola ", 80)).Trim() + ",";   // 320 tokens
        var second = string.Concat(Enumerable.Repeat("bo ", 100)).Trim() + ".";  // 300 tokens

        var clip = await engine.SynthesizeSentenceAsync("kokoro:ef_test", first + " " + second, SynthesisOptions.Default, default);

        var vocabulary = KokoroVocabulary.Load();
        long[] Ids(string s) => [0, .. vocabulary.Encode(s).Select(t => t.Id), 0];
        Assert.Equal([.. Ids(first), .. Ids(second)], Decode.Ids(clip.Samples, Segment, Segment, models.Kokoro.BaseCycles));
        // Each chunk is styled by its own token count.
        Assert.Equal(RowValue(first.Length), PadAmplitude(clip, 0), 4);
        Assert.Equal(RowValue(second.Length), PadAmplitude(clip, first.Length + 2), 4);
    }

    [Theory]
    [InlineData(0.5)]
    [InlineData(1.0)]
    [InlineData(2.0)]
    public async Task Speed_reaches_the_model(double speed)
    {
        _dir.AddKokoroModel();
        _dir.AddVoice("ef_test", 510, RowValue);
        await using var engine = await StartAsync();

        var clip = await engine.SynthesizeSentenceAsync("kokoro:ef_test", "ola", new SynthesisOptions(Speed: speed), default);

        Assert.Equal(5 * (int)Math.Round(Segment / speed), clip.Samples.Length);
    }

    [Fact]
    public async Task Voice_names_give_the_language_and_gender_and_a_name_without_a_language_letter_is_reported()
    {
        _dir.AddKokoroModel();
        _dir.AddRealVoice("zf_xiaoxiao");
        _dir.AddRealVoice("bm_george");
        _dir.AddVoice("xx_custom", 510, RowValue);
        await using var engine = await StartAsync();

        Assert.Equal(
            [("kokoro:bm_george", "en-gb", "male"), ("kokoro:zf_xiaoxiao", "zh", "female")],
            engine.Voices.Select(v => (v.Id, v.Languages[0], v.Gender!)));
        Assert.All(engine.Voices, v => Assert.Equal(24000, v.SampleRate));
        var failure = Assert.Single(engine.Failures);
        Assert.Equal("kokoro/voices/xx_custom.bin", failure.Path);
        Assert.Contains("start with their language letter", failure.Error);
    }

    [Fact]
    public async Task Voice_tables_without_a_model_are_reported()
    {
        _dir.AddRealVoice("af_bella");
        await using var engine = await StartAsync();

        Assert.Empty(engine.Voices);
        var failure = Assert.Single(engine.Failures);
        Assert.Equal("kokoro/voices", failure.Path);
        Assert.Contains("no Kokoro model", failure.Error);
    }

    [Fact]
    public async Task A_table_of_the_wrong_size_is_reported_and_the_others_serve()
    {
        _dir.AddKokoroModel();
        _dir.AddRealVoice("af_bella");
        File.WriteAllBytes(Path.Combine(_dir.KokoroVoicesDirectory, "af_bad.bin"), new byte[1000]);
        await using var engine = await StartAsync();

        Assert.Equal(["kokoro:af_bella"], engine.Voices.Select(v => v.Id));
        var failure = Assert.Single(engine.Failures);
        Assert.Equal("kokoro/voices/af_bad.bin", failure.Path);
        Assert.Contains("1000 bytes is not a Kokoro voice table", failure.Error);
    }
}

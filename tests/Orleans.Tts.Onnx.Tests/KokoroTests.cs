using Orleans.Tts.Synthesis.Engines.Models;

namespace Orleans.Tts.Onnx.Tests;

[Collection(OnnxCollection.Name)]
public sealed class KokoroTests(ModelFixture fixture)
{
    private KokoroConstants K => fixture.Kokoro;

    private float[] StyleRow(int row)
    {
        // Rows of a voice pack differ; this model voices the mean of the row as the amplitude.
        var style = new float[K.StyleDim];
        for (var i = 0; i < style.Length; i++)
            style[i] = 0.1f * (row + 1) + (i % 2 == 0 ? 0.05f : -0.05f) + (i == style.Length - 1 ? 0.256f : 0f);
        return style;
    }

    [Fact]
    public void Kokoro_audio_is_a_rank_1_waveform_that_decodes_back_to_the_ids()
    {
        using var model = OnnxModel.Open(fixture.KokoroModel);
        long[] ids = [0, 50, 83, 16, 0];

        var waveform = Run(model, Inputs.Kokoro(ids, StyleRow(0)));

        Assert.Single(Assert.Single(model.Outputs).Shape);
        Assert.Equal(ids.Length * K.Segment, waveform.Length);
        Assert.Equal(ids, Audio.SegmentTones(waveform, K.Segment, K.Segment).Select(t => (long)(t - K.BaseCycles)));
    }

    private static float[] Run(OnnxModel model, OnnxInputs inputs)
    {
        using (inputs)
            return model.Run(inputs, "waveform");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(7)]
    public void The_style_row_reaches_the_model(int row)
    {
        using var model = OnnxModel.Open(fixture.KokoroModel);
        var style = StyleRow(row);

        var audio = Run(model, Inputs.Kokoro([10, 20], style));

        var expected = style.Average();
        var measured = Audio.Amplitude(audio.AsSpan(0, K.Segment), K.BaseCycles + 10, K.Segment);
        Assert.InRange(measured, expected - 1e-3, expected + 1e-3);
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(1.0f)]
    [InlineData(1.25f)]
    [InlineData(2.0f)]
    public void Speed_shortens_the_audio_in_inverse_proportion(float speed)
    {
        using var model = OnnxModel.Open(fixture.KokoroModel);
        long[] ids = [1, 2, 3, 4];

        var audio = Run(model, Inputs.Kokoro(ids, StyleRow(1), speed));

        Assert.Equal(ids.Length * (int)Math.Round(K.Segment / speed), audio.Length);
    }

    [Theory]
    [InlineData(1.0f)]
    [InlineData(2.0f)]
    [InlineData(0.5f)]
    public void A_durations_output_gives_one_duration_per_id_and_the_audio_is_their_sum_in_frames(float speed)
    {
        using var model = OnnxModel.Open(fixture.KokoroDurationsModel);
        long[] ids = [0, 50, 83, 16, 43, 0];
        var d = fixture.KokoroDurations;

        (float[] audio, double[] durations) result;
        using (var inputs = Inputs.Kokoro(ids, StyleRow(0), speed))
            result = model.Run(inputs, "waveform", "durations");

        Assert.Equal(ids.Select(id => (double)d.Frames(id, speed)), result.durations);
        Assert.Equal((int)(result.durations.Sum() * d.Frame), result.audio.Length);
    }

    [Fact]
    public void Kokoro_models_are_told_apart_by_a_durations_output()
    {
        using var timed = Orleans.Tts.Synthesis.Engines.Kokoro.KokoroModel.Load(fixture.KokoroDurationsModel, fixture.Onnx);
        using var plain = Orleans.Tts.Synthesis.Engines.Kokoro.KokoroModel.Load(fixture.KokoroModel, fixture.Onnx);

        Assert.True(timed.HasDurations);
        Assert.False(plain.HasDurations);
    }
}

using Microsoft.ML.OnnxRuntime;
using Orleans.Tts.Synthesis.Engines.Models;

namespace Orleans.Tts.Onnx.Tests;

[Collection(OnnxCollection.Name)]
public sealed class PiperTests(ModelFixture fixture)
{
    private PiperConstants P => fixture.Piper;

    [Fact]
    public void Piper_audio_decodes_back_to_the_ids_fed_in()
    {
        using var model = OnnxModel.Open(fixture.PiperSingle);
        long[] ids = [1, 0, 27, 3, 59, 14, 100, 8];

        var audio = model.RunPiper(Inputs.Piper(ids));

        Assert.Equal(ids.Length * P.Segment, audio.Length);
        var tones = Audio.SegmentTones(audio, P.Segment, P.Segment);
        Assert.Equal(ids, tones.Select(t => (long)(t - P.BaseCycles)));
        Assert.InRange(Audio.Amplitude(audio.AsSpan(0, P.Segment), P.BaseCycles + 1, P.Segment), P.Amplitude - 1e-3, P.Amplitude + 1e-3);
    }

    [Fact]
    public void Only_the_first_input_lengths_ids_are_voiced()
    {
        using var model = OnnxModel.Open(fixture.PiperSingle);

        var audio = model.RunPiper(Inputs.Piper([5, 6, 7, 8], length: 2));

        Assert.Equal([5L, 6L], Audio.SegmentTones(audio, P.Segment, P.Segment).Select(t => (long)(t - P.BaseCycles)));
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(1.0f)]
    [InlineData(1.5f)]
    [InlineData(2.0f)]
    public void Length_scale_changes_the_duration_proportionally(float lengthScale)
    {
        using var model = OnnxModel.Open(fixture.PiperSingle);
        long[] ids = [3, 9, 12, 40, 2];

        var audio = model.RunPiper(Inputs.Piper(ids, lengthScale));

        var segment = (int)Math.Round(P.Segment * lengthScale);
        Assert.Equal(ids.Length * segment, audio.Length);
        Assert.Equal(ids, Audio.SegmentTones(audio, segment, P.Segment).Select(t => (long)(t - P.BaseCycles)));
    }

    [Fact]
    public void The_speaker_id_changes_the_tone()
    {
        using var model = OnnxModel.Open(fixture.PiperMulti);
        long[] ids = [2, 11, 30];

        var first = model.RunPiper(Inputs.Piper(ids, sid: 0));
        var second = model.RunPiper(Inputs.Piper(ids, sid: 1));

        Assert.Equal(ids.Select(id => (int)(P.BaseCycles + id)), Audio.SegmentTones(first, P.Segment, P.Segment));
        Assert.Equal(ids.Select(id => (int)(P.BaseCycles + id + P.SidCycles)), Audio.SegmentTones(second, P.Segment, P.Segment));
    }

    [Theory]
    [InlineData("piper-single.onnx", 4)]
    [InlineData("piper-rank3.onnx", 3)]
    public void Piper_outputs_of_rank_3_and_4_give_all_their_samples(string file, int rank)
    {
        using var model = OnnxModel.Open(fixture.Model(file));

        var audio = model.RunPiper(Inputs.Piper([4, 5, 6]));

        Assert.Equal(rank, Assert.Single(model.Outputs).Shape.Length);
        Assert.Equal(3 * P.Segment, audio.Length);
        Assert.Equal([4L, 5L, 6L], Audio.SegmentTones(audio, P.Segment, P.Segment).Select(t => (long)(t - P.BaseCycles)));
    }

    public static TheoryData<string, OnnxModelOptions> Options => new()
    {
        { "defaults", new OnnxModelOptions() },
        { "no graph optimisation", new OnnxModelOptions(Optimization: GraphOptimizationLevel.ORT_DISABLE_ALL) },
        { "basic optimisation, 2 threads", new OnnxModelOptions(IntraOpThreads: 2, InterOpThreads: 2, Optimization: GraphOptimizationLevel.ORT_ENABLE_BASIC) },
        { "runtime-chosen threads", new OnnxModelOptions(IntraOpThreads: 0, InterOpThreads: 0, Optimization: GraphOptimizationLevel.ORT_ENABLE_EXTENDED) },
    };

    [Theory]
    [MemberData(nameof(Options))]
    public void Every_session_option_produces_the_same_audio(string description, OnnxModelOptions options)
    {
        Assert.NotEmpty(description);
        using var reference = OnnxModel.Open(fixture.PiperSingle);
        using var model = OnnxModel.Open(fixture.PiperSingle, options);
        long[] ids = [7, 1, 19];

        Assert.Equal(reference.RunPiper(Inputs.Piper(ids)), model.RunPiper(Inputs.Piper(ids)));
    }
}

using Orleans.Tts.Synthesis.Onnx;

namespace Orleans.Tts.Onnx.Tests;

[Collection(OnnxCollection.Name)]
public sealed class PiperTests(ModelFixture fixture)
{
    private PiperConstants P => fixture.Piper;

    [Fact]
    public void Piper_audio_decodes_back_to_the_ids_fed_in()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperSingle);
        long[] ids = [1, 0, 27, 3, 59, 14, 100, 8];

        var audio = session.Run(Inputs.Piper(ids))[0].AsFloat();

        Assert.Equal(ids.Length * P.Segment, audio.Length);
        var tones = Audio.SegmentTones(audio, P.Segment, P.Segment);
        Assert.Equal(ids, tones.Select(t => (long)(t - P.BaseCycles)));
        Assert.InRange(Audio.Amplitude(audio.AsSpan(0, P.Segment), P.BaseCycles + 1, P.Segment), P.Amplitude - 1e-3, P.Amplitude + 1e-3);
    }

    [Fact]
    public void Only_the_first_input_lengths_ids_are_voiced()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperSingle);

        var audio = session.Run(Inputs.Piper([5, 6, 7, 8], length: 2))[0].AsFloat();

        Assert.Equal([5L, 6L], Audio.SegmentTones(audio, P.Segment, P.Segment).Select(t => (long)(t - P.BaseCycles)));
    }

    [Theory]
    [InlineData(0.5f)]
    [InlineData(1.0f)]
    [InlineData(1.5f)]
    [InlineData(2.0f)]
    public void Length_scale_changes_the_duration_proportionally(float lengthScale)
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperSingle);
        long[] ids = [3, 9, 12, 40, 2];

        var audio = session.Run(Inputs.Piper(ids, lengthScale))[0].AsFloat();

        var segment = (int)Math.Round(P.Segment * lengthScale);
        Assert.Equal(ids.Length * segment, audio.Length);
        Assert.Equal(ids, Audio.SegmentTones(audio, segment, P.Segment).Select(t => (long)(t - P.BaseCycles)));
    }

    [Fact]
    public void The_speaker_id_changes_the_tone()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperMulti);
        long[] ids = [2, 11, 30];

        var first = session.Run(Inputs.Piper(ids, sid: 0))[0].AsFloat();
        var second = session.Run(Inputs.Piper(ids, sid: 1))[0].AsFloat();

        Assert.Equal(ids.Select(id => (int)(P.BaseCycles + id)), Audio.SegmentTones(first, P.Segment, P.Segment));
        Assert.Equal(ids.Select(id => (int)(P.BaseCycles + id + P.SidCycles)), Audio.SegmentTones(second, P.Segment, P.Segment));
    }

    [Theory]
    [InlineData("piper-single.onnx", 4)]
    [InlineData("piper-rank3.onnx", 3)]
    public void Piper_outputs_of_rank_3_and_4_are_read_with_their_shape(string model, int rank)
    {
        using var session = fixture.Runtime.OpenSession(fixture.Model(model));

        var output = Assert.Single(session.Run(Inputs.Piper([4, 5, 6])));

        long[] expected = [.. Enumerable.Repeat(1L, rank - 1), 3L * P.Segment];
        Assert.Equal(expected, output.Shape);
        Assert.Equal(OnnxElementType.Float, output.ElementType);
        Assert.Equal(3 * P.Segment, output.AsFloat().Length);
    }

    [Fact]
    public void Outputs_can_be_selected_by_name()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperSingle);

        var outputs = session.Run(Inputs.Piper([1, 2]), ["output", "output"]);

        Assert.Equal(2, outputs.Count);
        Assert.Equal(outputs[0].AsFloat(), outputs[1].AsFloat());
        Assert.NotSame(outputs[0].AsFloat(), outputs[1].AsFloat());
    }

    public static TheoryData<string, OnnxSessionOptions> Options => new()
    {
        { "defaults", new OnnxSessionOptions() },
        { "no arena, no memory pattern", new OnnxSessionOptions(CpuMemoryArena: false, MemoryPattern: false) },
        { "no graph optimisation", new OnnxSessionOptions(Optimization: GraphOptimization.Disabled) },
        { "basic optimisation, 2 threads", new OnnxSessionOptions(IntraOpThreads: 2, InterOpThreads: 2, Optimization: GraphOptimization.Basic) },
        { "runtime-chosen threads", new OnnxSessionOptions(IntraOpThreads: 0, InterOpThreads: 0, Optimization: GraphOptimization.Extended) },
    };

    [Theory]
    [MemberData(nameof(Options))]
    public void Every_session_option_produces_the_same_audio(string description, OnnxSessionOptions options)
    {
        Assert.NotEmpty(description);
        using var reference = fixture.Runtime.OpenSession(fixture.PiperSingle);
        using var session = fixture.Runtime.OpenSession(fixture.PiperSingle, options);
        long[] ids = [7, 1, 19];

        Assert.Equal(reference.Run(Inputs.Piper(ids))[0].AsFloat(), session.Run(Inputs.Piper(ids))[0].AsFloat());
    }
}

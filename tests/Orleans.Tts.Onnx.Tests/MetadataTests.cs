using Orleans.Tts.Synthesis.Onnx;

namespace Orleans.Tts.Onnx.Tests;

[Collection(OnnxCollection.Name)]
public sealed class MetadataTests(ModelFixture fixture)
{
    [Fact]
    public void A_single_speaker_Piper_model_has_input_input_lengths_and_scales_and_a_rank_4_output()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperSingle);

        AssertNodes(session.Inputs,
            ("input", OnnxElementType.Int64, [-1, -1]),
            ("input_lengths", OnnxElementType.Int64, [-1]),
            ("scales", OnnxElementType.Float, [3]));
        AssertNodes(session.Outputs, ("output", OnnxElementType.Float, [-1, 1, 1, -1]));
    }

    [Fact]
    public void A_multi_speaker_Piper_model_also_has_sid()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperMulti);

        AssertNodes(session.Inputs,
            ("input", OnnxElementType.Int64, [-1, -1]),
            ("input_lengths", OnnxElementType.Int64, [-1]),
            ("scales", OnnxElementType.Float, [3]),
            ("sid", OnnxElementType.Int64, [-1]));
        AssertNodes(session.Outputs, ("output", OnnxElementType.Float, [-1, 1, 1, -1]));
    }

    [Fact]
    public void A_Piper_model_with_a_rank_3_output_reports_that_shape()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperRank3);

        AssertNodes(session.Outputs, ("output", OnnxElementType.Float, [-1, 1, -1]));
    }

    [Fact]
    public void A_Kokoro_model_has_input_ids_style_and_speed_and_a_waveform()
    {
        using var session = fixture.Runtime.OpenSession(fixture.KokoroModel);

        AssertNodes(session.Inputs,
            ("input_ids", OnnxElementType.Int64, [-1, -1]),
            ("style", OnnxElementType.Float, [-1, 256]),
            ("speed", OnnxElementType.Float, [1]));
        AssertNodes(session.Outputs, ("waveform", OnnxElementType.Float, [-1]));
    }

    [Fact]
    public void A_session_from_bytes_reads_the_same_metadata_as_one_from_the_file()
    {
        using var fromFile = fixture.Runtime.OpenSession(fixture.PiperMulti);
        using var fromBytes = fixture.Runtime.OpenSession(File.ReadAllBytes(fixture.PiperMulti));

        Assert.Equal(fromFile.Inputs.Select(n => n.ToString()), fromBytes.Inputs.Select(n => n.ToString()));
        Assert.Equal(fromFile.Outputs.Select(n => n.ToString()), fromBytes.Outputs.Select(n => n.ToString()));
        Assert.Equal(fixture.PiperMulti, fromFile.ModelDescription);
    }

    private static void AssertNodes(IReadOnlyList<OnnxNodeInfo> actual, params (string Name, OnnxElementType Type, long[] Shape)[] expected)
    {
        Assert.Equal(expected.Length, actual.Count);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Name, actual[i].Name);
            Assert.Equal(expected[i].Type, actual[i].ElementType);
            Assert.Equal(expected[i].Shape, actual[i].Shape);
        }
    }
}

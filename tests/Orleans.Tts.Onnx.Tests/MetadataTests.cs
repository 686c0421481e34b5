using Microsoft.ML.OnnxRuntime.Tensors;
using Orleans.Tts.Synthesis.Engines.Models;

namespace Orleans.Tts.Onnx.Tests;

[Collection(OnnxCollection.Name)]
public sealed class MetadataTests(ModelFixture fixture)
{
    [Fact]
    public void A_single_speaker_Piper_model_has_input_input_lengths_and_scales_and_a_rank_4_output()
    {
        using var model = OnnxModel.Open(fixture.PiperSingle);

        AssertNodes(model.Inputs,
            ("input", TensorElementType.Int64, [-1, -1]),
            ("input_lengths", TensorElementType.Int64, [-1]),
            ("scales", TensorElementType.Float, [3]));
        AssertNodes(model.Outputs, ("output", TensorElementType.Float, [-1, 1, 1, -1]));
    }

    [Fact]
    public void A_multi_speaker_Piper_model_also_has_sid()
    {
        using var model = OnnxModel.Open(fixture.PiperMulti);

        AssertNodes(model.Inputs,
            ("input", TensorElementType.Int64, [-1, -1]),
            ("input_lengths", TensorElementType.Int64, [-1]),
            ("scales", TensorElementType.Float, [3]),
            ("sid", TensorElementType.Int64, [-1]));
        AssertNodes(model.Outputs, ("output", TensorElementType.Float, [-1, 1, 1, -1]));
    }

    [Fact]
    public void A_Piper_model_with_a_rank_3_output_reports_that_shape()
    {
        using var model = OnnxModel.Open(fixture.PiperRank3);

        AssertNodes(model.Outputs, ("output", TensorElementType.Float, [-1, 1, -1]));
    }

    [Fact]
    public void A_Kokoro_model_has_input_ids_style_and_speed_and_a_waveform()
    {
        using var model = OnnxModel.Open(fixture.KokoroModel);

        AssertNodes(model.Inputs,
            ("input_ids", TensorElementType.Int64, [-1, -1]),
            ("style", TensorElementType.Float, [-1, 256]),
            ("speed", TensorElementType.Float, [1]));
        AssertNodes(model.Outputs, ("waveform", TensorElementType.Float, [-1]));
    }

    private static void AssertNodes(IReadOnlyList<OnnxNode> actual, params (string Name, TensorElementType Type, long[] Shape)[] expected)
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

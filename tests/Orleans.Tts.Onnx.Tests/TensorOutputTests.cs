using Orleans.Tts.Synthesis.Onnx;

namespace Orleans.Tts.Onnx.Tests;

[Collection(OnnxCollection.Name)]
public sealed class TensorOutputTests(ModelFixture fixture)
{
    [Fact]
    public void Int64_and_float_outputs_of_rank_3_are_read_with_their_shape_and_values()
    {
        using var session = fixture.Runtime.OpenSession(fixture.Model("tensor-echo.onnx"));
        long[] data = [.. Enumerable.Range(0, 24).Select(i => (long)i * 1_000_000_007L)];

        var outputs = session.Run(("x", OnnxTensor.FromInt64(data, 2, 3, 4)));

        Assert.Equal(["x_plus_one", "x_float"], session.Outputs.Select(o => o.Name));
        Assert.Equal(OnnxElementType.Int64, outputs[0].ElementType);
        Assert.Equal([2L, 3L, 4L], outputs[0].Shape);
        Assert.Equal(data.Select(v => v + 1), outputs[0].AsInt64());
        Assert.Equal(OnnxElementType.Float, outputs[1].ElementType);
        Assert.Equal([2L, 3L, 4L], outputs[1].Shape);
        Assert.Equal(data.Select(v => (float)v), outputs[1].AsFloat());
    }

    [Fact]
    public void An_empty_tensor_round_trips()
    {
        using var session = fixture.Runtime.OpenSession(fixture.Model("tensor-echo.onnx"));

        var outputs = session.Run(("x", OnnxTensor.FromInt64([], 2, 0, 4)));

        Assert.Equal([2L, 0L, 4L], outputs[0].Shape);
        Assert.Empty(outputs[0].AsInt64());
    }
}

using Orleans.Tts.Synthesis.Onnx;

namespace Orleans.Tts.Onnx.Tests;

[Collection(OnnxCollection.Name)]
public sealed class ErrorTests(ModelFixture fixture)
{
    [Fact]
    public void A_missing_model_file_throws_FileNotFoundException_naming_the_path()
    {
        var path = Path.Combine(fixture.Directory, "no-such-voice.onnx");

        var error = Assert.Throws<FileNotFoundException>(() => fixture.Runtime.OpenSession(path));

        Assert.Equal(path, error.FileName);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_truncated_model_file_throws_OnnxRuntimeException_with_the_runtime_message()
    {
        var error = Assert.Throws<OnnxRuntimeException>(() => fixture.Runtime.OpenSession(fixture.Broken));

        Assert.Equal(OnnxErrorCode.InvalidProtobuf, error.ErrorCode);
        Assert.Contains("Protobuf parsing failed", error.OrtMessage);
        Assert.Contains(error.OrtMessage, error.Message);
        Assert.Contains(fixture.Broken, error.Message);
    }

    [Fact]
    public void Truncated_model_bytes_throw_OnnxRuntimeException()
    {
        var error = Assert.Throws<OnnxRuntimeException>(() => fixture.Runtime.OpenSession(File.ReadAllBytes(fixture.Broken)));

        Assert.Equal(OnnxErrorCode.InvalidProtobuf, error.ErrorCode);
        Assert.Contains("protobuf parsing failed", error.OrtMessage, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void An_input_of_the_wrong_rank_throws_OnnxRuntimeException_and_the_session_keeps_working()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperSingle);
        var inputs = Inputs.Piper([1, 2, 3]);
        inputs[0] = ("input", OnnxTensor.FromInt64([1, 2, 3], 3));

        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run(inputs));

        Assert.Equal(OnnxErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains("input", error.OrtMessage);
        Assert.Equal(3 * fixture.Piper.Segment, session.Run(Inputs.Piper([1, 2, 3]))[0].AsFloat().Length);
    }

    [Fact]
    public void An_input_of_the_wrong_fixed_dimension_throws_OnnxRuntimeException()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperSingle);
        var inputs = Inputs.Piper([1, 2, 3]);
        inputs[2] = ("scales", OnnxTensor.FromFloat([0.667f, 1f], 2));

        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run(inputs));

        Assert.Equal(OnnxErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains("scales", error.OrtMessage);
    }

    [Fact]
    public void An_input_of_the_wrong_type_throws_OnnxRuntimeException_and_the_session_keeps_working()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperSingle);
        var inputs = Inputs.Piper([1, 2, 3]);
        inputs[0] = ("input", OnnxTensor.FromFloat([1, 2, 3], 1, 3));

        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run(inputs));

        Assert.Equal(OnnxErrorCode.InvalidArgument, error.ErrorCode);
        Assert.Contains("tensor(int64)", error.OrtMessage);
        Assert.Equal(3 * fixture.Piper.Segment, session.Run(Inputs.Piper([1, 2, 3]))[0].AsFloat().Length);
    }

    [Fact]
    public void A_missing_required_input_throws_OnnxRuntimeException_naming_it()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperMulti);

        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run(Inputs.Piper([1, 2])));

        Assert.Contains("sid", error.OrtMessage);
    }

    [Fact]
    public void An_unknown_input_name_throws_ArgumentException_listing_the_model_inputs()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperSingle);
        var inputs = Inputs.Piper([1]);
        inputs[0] = ("tokens", inputs[0].Value);

        var error = Assert.Throws<ArgumentException>(() => session.Run(inputs));

        Assert.Contains("'tokens'", error.Message);
        Assert.Contains("input_lengths", error.Message);
    }

    [Fact]
    public void An_unknown_output_name_throws_ArgumentException()
    {
        using var session = fixture.Runtime.OpenSession(fixture.PiperSingle);

        Assert.Throws<ArgumentException>(() => session.Run(Inputs.Piper([1]), ["audio"]));
    }

    [Fact]
    public void A_tensor_whose_shape_does_not_match_its_data_is_rejected_before_reaching_the_runtime()
    {
        Assert.Throws<ArgumentException>(() => OnnxTensor.FromInt64([1, 2, 3], 1, 2));
        Assert.Throws<ArgumentException>(() => OnnxTensor.FromFloat([1f], -1));
        Assert.Equal([3L], OnnxTensor.FromInt64([1, 2, 3]).Shape);
    }

    [Fact]
    public void Reading_a_tensor_as_the_wrong_type_throws_InvalidOperationException()
    {
        var tensor = OnnxTensor.FromInt64([1, 2], 2);

        Assert.Throws<InvalidOperationException>(() => tensor.AsFloat());
        Assert.Equal([1L, 2L], tensor.AsInt64());
    }
}

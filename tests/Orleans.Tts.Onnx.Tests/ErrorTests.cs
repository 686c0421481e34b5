using Microsoft.ML.OnnxRuntime;
using Orleans.Tts.Synthesis.Engines.Models;

namespace Orleans.Tts.Onnx.Tests;

[Collection(OnnxCollection.Name)]
public sealed class ErrorTests(ModelFixture fixture)
{
    [Fact]
    public void A_missing_model_file_throws_FileNotFoundException_naming_the_path()
    {
        var path = Path.Combine(fixture.Directory, "no-such-voice.onnx");

        var error = Assert.Throws<FileNotFoundException>(() => OnnxModel.Open(path));

        Assert.Equal(path, error.FileName);
        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void A_truncated_model_file_throws_the_runtime_error_naming_the_file()
    {
        var error = Assert.Throws<OnnxRuntimeException>(() => OnnxModel.Open(fixture.Broken));

        Assert.Contains("[ErrorCode:InvalidProtobuf]", error.Message);
        Assert.Contains("Protobuf parsing failed", error.Message);
        Assert.Contains(fixture.Broken, error.Message);
    }

    [Fact]
    public void An_input_of_the_wrong_rank_throws_InvalidArgument_and_the_model_keeps_working()
    {
        using var model = OnnxModel.Open(fixture.PiperSingle);
        using var inputs = new OnnxInputs()
            .Add("input", [1L, 2, 3], 3)
            .Add("input_lengths", [3L], 1)
            .Add("scales", [0.667f, 1f, 0.8f], 3);

        var error = Assert.Throws<OnnxRuntimeException>(() => model.Run(inputs, "output"));

        Assert.Contains("[ErrorCode:InvalidArgument]", error.Message);
        Assert.Contains("input", error.Message);
        Assert.Equal(3 * fixture.Piper.Segment, model.RunPiper(Inputs.Piper([1, 2, 3])).Length);
    }

    [Fact]
    public void An_input_of_the_wrong_fixed_dimension_throws_InvalidArgument_naming_it()
    {
        using var model = OnnxModel.Open(fixture.PiperSingle);
        using var inputs = new OnnxInputs()
            .Add("input", [1L, 2, 3], 1, 3)
            .Add("input_lengths", [3L], 1)
            .Add("scales", [0.667f, 1f], 2);

        var error = Assert.Throws<OnnxRuntimeException>(() => model.Run(inputs, "output"));

        Assert.Contains("[ErrorCode:InvalidArgument]", error.Message);
        Assert.Contains("scales", error.Message);
    }

    [Fact]
    public void An_input_of_the_wrong_type_throws_InvalidArgument_and_the_model_keeps_working()
    {
        using var model = OnnxModel.Open(fixture.PiperSingle);
        using var inputs = new OnnxInputs()
            .Add("input", [1f, 2, 3], 1, 3)
            .Add("input_lengths", [3L], 1)
            .Add("scales", [0.667f, 1f, 0.8f], 3);

        var error = Assert.Throws<OnnxRuntimeException>(() => model.Run(inputs, "output"));

        Assert.Contains("[ErrorCode:InvalidArgument]", error.Message);
        Assert.Contains("tensor(int64)", error.Message);
        Assert.Equal(3 * fixture.Piper.Segment, model.RunPiper(Inputs.Piper([1, 2, 3])).Length);
    }

    [Fact]
    public void A_missing_required_input_throws_naming_it()
    {
        using var model = OnnxModel.Open(fixture.PiperMulti);

        var error = Assert.Throws<OnnxRuntimeException>(() => model.RunPiper(Inputs.Piper([1, 2])));

        Assert.Contains("sid", error.Message);
    }

    [Fact]
    public void An_unknown_input_or_output_name_throws_naming_it()
    {
        using var model = OnnxModel.Open(fixture.PiperSingle);
        using var inputs = new OnnxInputs()
            .Add("tokens", [1L], 1, 1)
            .Add("input_lengths", [1L], 1)
            .Add("scales", [0.667f, 1f, 0.8f], 3);

        using var piper = Inputs.Piper([1]);

        Assert.Contains("tokens", Assert.Throws<OnnxRuntimeException>(() => model.Run(inputs, "output")).Message);
        Assert.Contains("audio", Assert.Throws<OnnxRuntimeException>(() => model.Run(piper, "audio")).Message);
    }

    [Fact]
    public void An_input_whose_shape_does_not_match_its_data_is_rejected_before_reaching_the_runtime()
    {
        using var inputs = new OnnxInputs();

        Assert.Throws<ArgumentException>(() => inputs.Add("x", [1L, 2, 3], 1, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => inputs.Add("x", [1f], -1));
        Assert.Empty(inputs.Names);
    }
}

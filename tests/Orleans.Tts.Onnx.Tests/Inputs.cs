using Orleans.Tts.Synthesis.Engines.Models;

namespace Orleans.Tts.Onnx.Tests;

/// <summary>Builds inputs the way the Piper and Kokoro engines do.</summary>
internal static class Inputs
{
    public static OnnxInputs Piper(long[] ids, float lengthScale = 1f, long? sid = null, long? length = null)
    {
        var inputs = new OnnxInputs()
            .Add("input", ids, 1, ids.Length)
            .Add("input_lengths", [length ?? ids.Length], 1)
            .Add("scales", [0.667f, lengthScale, 0.8f], 3);
        if (sid is { } speaker)
            inputs.Add("sid", [speaker], 1);
        return inputs;
    }

    public static OnnxInputs Kokoro(long[] ids, float[] style, float speed = 1f) => new OnnxInputs()
        .Add("input_ids", ids, 1, ids.Length)
        .Add("style", style, 1, style.Length)
        .Add("speed", [speed], 1);

    /// <summary>Runs a Piper model on <paramref name="inputs"/> and disposes them.</summary>
    public static float[] RunPiper(this OnnxModel model, OnnxInputs inputs, CancellationToken cancellationToken = default)
    {
        using (inputs)
            return model.Run(inputs, "output", cancellationToken);
    }

    /// <summary>The slow loop model's inputs: <paramref name="iterations"/> 128×128 products.</summary>
    public static OnnxInputs Loop(long iterations) => new OnnxInputs()
        .Add("n", [iterations])
        .Add("x", Enumerable.Repeat(0.5f, 128).ToArray(), 1, 128);
}

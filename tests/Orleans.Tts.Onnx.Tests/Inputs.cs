using Orleans.Tts.Synthesis.Onnx;

namespace Orleans.Tts.Onnx.Tests;

/// <summary>Builds inputs the way the Piper and Kokoro engines will.</summary>
internal static class Inputs
{
    public static (string Name, OnnxTensor Value)[] Piper(long[] ids, float lengthScale = 1f, long? sid = null, long? length = null)
    {
        var inputs = new List<(string, OnnxTensor)>
        {
            ("input", OnnxTensor.FromInt64(ids, 1, ids.Length)),
            ("input_lengths", OnnxTensor.FromInt64([length ?? ids.Length], 1)),
            ("scales", OnnxTensor.FromFloat([0.667f, lengthScale, 0.8f], 3)),
        };
        if (sid is { } speaker)
            inputs.Add(("sid", OnnxTensor.FromInt64([speaker], 1)));
        return [.. inputs];
    }

    public static (string Name, OnnxTensor Value)[] Kokoro(long[] ids, float[] style, float speed = 1f) =>
    [
        ("input_ids", OnnxTensor.FromInt64(ids, 1, ids.Length)),
        ("style", OnnxTensor.FromFloat(style, 1, style.Length)),
        ("speed", OnnxTensor.FromFloat([speed], 1)),
    ];
}

using Orleans.Tts.Synthesis.Engines.Models;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Orleans.Tts.Synthesis.Engines.Kokoro;

/// <summary>The loaded Kokoro model: token ids, a style row and a speed in; a 24 kHz waveform out. Shared by all threads.</summary>
public sealed class KokoroModel : IDisposable, IStampedFile
{
    public const int SampleRate = 24000;

    private readonly OnnxModel _session;
    private readonly string _ids;
    private readonly string _output;

    private KokoroModel(string path, OnnxModel session, ModelFileStamp stamp)
    {
        Path = path;
        Stamp = stamp;
        _session = session;
        var inputs = session.Inputs.ToDictionary(i => i.Name, StringComparer.Ordinal);
        // onnx-community exports call the ids input_ids; kokoro-onnx's exports call them tokens.
        _ids = inputs.ContainsKey("input_ids") ? "input_ids" : inputs.ContainsKey("tokens") ? "tokens"
            : throw new InvalidDataException($"The model has no 'input_ids' (or 'tokens') input; its inputs are {string.Join(", ", session.Inputs)}.");
        if (!inputs.TryGetValue("style", out var style) || style.ElementType != TensorElementType.Float)
            throw new InvalidDataException($"The model has no float32 'style' input; its inputs are {string.Join(", ", session.Inputs)}.");
        if (style.Shape.Length > 0 && style.Shape[^1] > 0 && style.Shape[^1] != KokoroVoiceTable.StyleDim)
            throw new InvalidDataException($"The model's style has {style.Shape[^1]} values per row; Kokoro voice tables have {KokoroVoiceTable.StyleDim}.");
        if (!inputs.TryGetValue("speed", out var speed) || speed.ElementType != TensorElementType.Float)
            throw new InvalidDataException($"The model has no float32 'speed' input; its inputs are {string.Join(", ", session.Inputs)}.");
        _output = session.Outputs.Count > 0 ? session.Outputs[0].Name : throw new InvalidDataException("The model has no output.");
        if (session.Outputs[0].ElementType != TensorElementType.Float)
            throw new InvalidDataException($"The model's output is {session.Outputs[0]}; Kokoro's waveform is float32.");
    }

    public string Path { get; }
    public ModelFileStamp Stamp { get; }

    public static KokoroModel Load(string path, OnnxRuntimeProvider onnx)
    {
        var stamp = ModelFileStamp.Of(path);
        var session = onnx.Open(path);
        try
        {
            return new KokoroModel(path, session, stamp);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Runs one chunk: <paramref name="tokens"/> between two 0 pads, with its style row.</summary>
    public float[] Infer(IReadOnlyList<KokoroToken> tokens, float[] style, float speed, CancellationToken cancellationToken)
    {
        var ids = new long[tokens.Count + 2];
        for (var i = 0; i < tokens.Count; i++) ids[i + 1] = tokens[i].Id;
        using var inputs = new OnnxInputs()
            .Add(_ids, ids, 1, ids.Length)
            .Add("style", style, 1, style.Length)
            .Add("speed", [speed], 1);
        return _session.Run(inputs, _output, cancellationToken);
    }

    public void Dispose() => _session.Dispose();
}

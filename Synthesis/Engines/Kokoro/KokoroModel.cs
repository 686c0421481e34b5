using Orleans.Tts.Synthesis.Engines.Models;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Orleans.Tts.Synthesis.Engines.Kokoro;

/// <summary>
/// The loaded Kokoro model: token ids, a style row and a speed in; a 24 kHz waveform out, and with exports that keep it
/// (hexgrad's <c>KModelForONNX</c>, onnx-community's <c>-timestamped</c>) a second output: each id's duration in frames of
/// <see cref="FrameSamples"/> samples. Shared by all threads.
/// </summary>
public sealed class KokoroModel : IDisposable, IStampedFile
{
    public const int SampleRate = 24000;

    /// <summary>Samples per duration frame (Kokoro's decoder upsamples each frame to 600 samples at 24 kHz, 40 frames a second).</summary>
    public const int FrameSamples = 600;

    private readonly OnnxModel _session;
    private readonly string _ids;
    private readonly string _output;
    private readonly string? _durations;

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
        // The name of the durations output differs between exports (and is unconfirmed for some), so any numeric second
        // output of one value per id ([T] or [1, T]) is taken as the durations; its length is checked on every run.
        if (session.Outputs.Count > 1 && session.Outputs[1] is { Shape.Length: 1 or 2 } second
            && second.ElementType is TensorElementType.Int64 or TensorElementType.Int32 or TensorElementType.Float or TensorElementType.Double
            && (second.Shape.Length == 1 || second.Shape[0] is 1 or -1))
            _durations = second.Name;
    }

    /// <summary>The model outputs each id's duration beside the audio, so words can be timed.</summary>
    public bool HasDurations => _durations is not null;

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

    /// <summary>
    /// Runs one chunk: <paramref name="tokens"/> between two 0 pads, with its style row. When <paramref name="durations"/> is
    /// asked and the model has them, they come back in frames, one per id (pads included); else null.
    /// </summary>
    public (float[] Audio, double[]? Durations) Infer(IReadOnlyList<KokoroToken> tokens, float[] style, float speed, bool durations, CancellationToken cancellationToken)
    {
        var ids = new long[tokens.Count + 2];
        for (var i = 0; i < tokens.Count; i++) ids[i + 1] = tokens[i].Id;
        using var inputs = new OnnxInputs()
            .Add(_ids, ids, 1, ids.Length)
            .Add("style", style, 1, style.Length)
            .Add("speed", [speed], 1);
        if (!durations || _durations is null) return (_session.Run(inputs, _output, cancellationToken), null);
        var (audio, frames) = _session.Run(inputs, _output, _durations, cancellationToken);
        return (audio, frames.Length == ids.Length ? frames : null);
    }

    public void Dispose() => _session.Dispose();
}

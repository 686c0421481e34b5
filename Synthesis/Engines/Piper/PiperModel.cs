using Orleans.Tts.Synthesis.Engines.Models;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Orleans.Tts.Synthesis.Engines.Piper;

/// <summary>One loaded Piper model: its config and its ONNX session, shared by every thread and speaker.</summary>
public sealed class PiperModel : IDisposable, IStampedFile
{
    private readonly OnnxModel _session;
    private readonly bool _takesSpeaker;
    private readonly string _output;

    private PiperModel(string name, PiperConfig config, OnnxModel session, ModelFileStamp stamp)
    {
        Name = name;
        Config = config;
        Stamp = stamp;
        _session = session;
        var inputs = session.Inputs.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var missing = new[] { "input", "input_lengths", "scales" }.Where(n => !inputs.Contains(n)).ToList();
        if (missing.Count > 0)
            throw new InvalidDataException($"The model lacks Piper's input(s) {string.Join(", ", missing)}; its inputs are {string.Join(", ", session.Inputs)}.");
        _takesSpeaker = inputs.Contains("sid");
        if (config.MultiSpeaker && !_takesSpeaker)
            throw new InvalidDataException($"The config has {config.NumSpeakers} speakers but the model has no 'sid' input.");
        _output = session.Outputs.Count > 0 ? session.Outputs[0].Name : throw new InvalidDataException("The model has no output.");
        if (session.Outputs[0].ElementType != TensorElementType.Float)
            throw new InvalidDataException($"The model's output is {session.Outputs[0]}; Piper's audio is float32.");
    }

    public string Name { get; }
    public PiperConfig Config { get; }
    public ModelFileStamp Stamp { get; }

    /// <summary>Loads <c>NAME.onnx</c> with its <c>NAME.onnx.json</c>; the error says which file is wrong and why.</summary>
    public static PiperModel Load(string modelPath, string configPath, OnnxRuntimeProvider onnx)
    {
        PiperConfig config;
        try
        {
            config = PiperConfig.Parse(File.ReadAllText(configPath));
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException)
        {
            throw new InvalidDataException($"{Path.GetFileName(configPath)}: {e.Message}", e);
        }
        var stamp = ModelFileStamp.Of(modelPath, configPath);
        var session = onnx.Open(modelPath);
        try
        {
            return new PiperModel(Path.GetFileNameWithoutExtension(modelPath), config, session, stamp);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Runs the model on one phrase's ids; the audio is the output's samples whatever its rank.</summary>
    public float[] Infer(long[] ids, float lengthScale, long speakerId, CancellationToken cancellationToken)
    {
        using var inputs = new OnnxInputs()
            .Add("input", ids, 1, ids.Length)
            .Add("input_lengths", [(long)ids.Length], 1)
            .Add("scales", [Config.NoiseScale, lengthScale, Config.NoiseW], 3);
        if (_takesSpeaker) inputs.Add("sid", [speakerId], 1);
        return _session.Run(inputs, _output, cancellationToken);
    }

    public void Dispose() => _session.Dispose();
}

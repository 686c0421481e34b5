using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Orleans.Tts.Synthesis.Engines.Models;

/// <summary>How a model's session uses the cores. Thread counts of 0 let ONNX Runtime choose.</summary>
public sealed record OnnxModelOptions(
    int IntraOpThreads = 1,
    int InterOpThreads = 1,
    GraphOptimizationLevel Optimization = GraphOptimizationLevel.ORT_ENABLE_ALL);

/// <summary>
/// One model file in one <see cref="InferenceSession"/> shared by every thread. <see cref="Dispose"/> may come from a
/// reload while other threads still run the model: the session is freed only once the last of those runs returns.
/// </summary>
public sealed class OnnxModel : IDisposable
{
    private readonly InferenceSession _session;
    // One lease is the owner's (dropped by Dispose); each Run holds another while it uses the session.
    private int _leases = 1;
    private int _disposed;

    private OnnxModel(InferenceSession session, string path)
    {
        _session = session;
        Path = path;
        Inputs = [.. session.InputMetadata.Select(p => new OnnxNode(p.Key, p.Value))];
        Outputs = [.. session.OutputMetadata.Select(p => new OnnxNode(p.Key, p.Value))];
    }

    /// <summary>Runs using the session now (for tests of disposal and cancellation).</summary>
    internal int RunsInProgress => Volatile.Read(ref _leases) - (Volatile.Read(ref _disposed) == 0 ? 1 : 0);

    /// <summary>The model file, as a full path.</summary>
    public string Path { get; }

    /// <summary>The model's inputs, in model order.</summary>
    public IReadOnlyList<OnnxNode> Inputs { get; }

    /// <summary>The model's outputs, in model order.</summary>
    public IReadOnlyList<OnnxNode> Outputs { get; }

    /// <summary>
    /// Loads <paramref name="path"/>. A missing file throws <see cref="FileNotFoundException"/>; a file ONNX Runtime cannot
    /// load throws its <see cref="OnnxRuntimeException"/>, whose message names the file and the reason.
    /// </summary>
    public static OnnxModel Open(string path, OnnxModelOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
            throw new FileNotFoundException($"ONNX model file '{fullPath}' does not exist.", fullPath);
        options ??= new OnnxModelOptions();
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = options.IntraOpThreads,
            InterOpNumThreads = options.InterOpThreads,
            GraphOptimizationLevel = options.Optimization,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        return new OnnxModel(new InferenceSession(fullPath, sessionOptions), fullPath);
    }

    /// <summary>
    /// Runs the model and returns output <paramref name="output"/> (float32) as a new array. Inputs are read in place
    /// (their arrays pinned, not copied). Thread-safe. Cancelling <paramref name="cancellationToken"/> stops a run in
    /// progress (<see cref="RunOptions.Terminate"/>) with <see cref="OperationCanceledException"/>. A wrong input (shape,
    /// type, missing, unknown name) throws ONNX Runtime's <see cref="OnnxRuntimeException"/> and the model keeps working.
    /// </summary>
    public float[] Run(OnnxInputs inputs, string output, CancellationToken cancellationToken = default) =>
        Run(inputs, [output], static results => results[0].GetTensorDataAsSpan<float>().ToArray(), cancellationToken);

    /// <summary>
    /// As <see cref="Run(OnnxInputs, string, CancellationToken)"/>, also returning output <paramref name="second"/> (any of
    /// int64, int32, float32 or float64) as doubles: e.g. a speech model's per-token durations beside its audio.
    /// </summary>
    public (float[] Output, double[] Second) Run(OnnxInputs inputs, string output, string second, CancellationToken cancellationToken = default) =>
        Run(inputs, [output, second], static results => (results[0].GetTensorDataAsSpan<float>().ToArray(), Numbers(results[1])), cancellationToken);

    private static double[] Numbers(OrtValue value) => value.GetTensorTypeAndShape().ElementDataType switch
    {
        TensorElementType.Int64 => [.. value.GetTensorDataAsSpan<long>().ToArray().Select(v => (double)v)],
        TensorElementType.Int32 => [.. value.GetTensorDataAsSpan<int>().ToArray().Select(v => (double)v)],
        TensorElementType.Float => [.. value.GetTensorDataAsSpan<float>().ToArray().Select(v => (double)v)],
        TensorElementType.Double => value.GetTensorDataAsSpan<double>().ToArray(),
        var type => throw new InvalidDataException($"Output of type {type} is not read as numbers."),
    };

    private T Run<T>(OnnxInputs inputs, string[] outputs, Func<IDisposableReadOnlyCollection<OrtValue>, T> read, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        cancellationToken.ThrowIfCancellationRequested();
        Acquire();
        try
        {
            using var runOptions = new RunOptions();
            // Disposed before runOptions: waits for a callback already running, so it never touches a freed RunOptions.
            using var stop = cancellationToken.UnsafeRegister(static o => ((RunOptions)o!).Terminate = true, runOptions);
            using var results = _session.Run(runOptions, inputs.Names, inputs.Values, outputs);
            return read(results);
        }
        catch (OnnxRuntimeException e) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException($"The run of {Path} was cancelled: {e.Message}", e, cancellationToken);
        }
        finally
        {
            Release();
        }
    }

    /// <summary>Frees the session now, or when the runs in progress finish; later runs throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) Release();
    }

    private void Acquire()
    {
        var leases = Volatile.Read(ref _leases);
        while (true)
        {
            ObjectDisposedException.ThrowIf(leases == 0, this);
            var seen = Interlocked.CompareExchange(ref _leases, leases + 1, leases);
            if (seen == leases) return;
            leases = seen;
        }
    }

    private void Release()
    {
        if (Interlocked.Decrement(ref _leases) == 0) _session.Dispose();
    }
}

/// <summary>A model input or output: its name, element type and shape (-1 for a dynamic dimension).</summary>
public sealed record OnnxNode(string Name, TensorElementType ElementType, long[] Shape)
{
    internal OnnxNode(string name, NodeMetadata metadata)
        : this(name, metadata.IsTensor ? metadata.ElementDataType : TensorElementType.DataTypeMax, [.. metadata.Dimensions.Select(d => (long)d)])
    {
    }

    public override string ToString() => $"{Name}: {ElementType}[{string.Join(",", Shape)}]";
}

/// <summary>
/// The named input tensors of one run, each an <see cref="OrtValue"/> over the caller's array (pinned until disposed,
/// never copied). Dispose after the run.
/// </summary>
public sealed class OnnxInputs : IDisposable
{
    private readonly List<string> _names = new(4);
    private readonly List<OrtValue> _values = new(4);

    public IReadOnlyList<string> Names => _names;
    public IReadOnlyList<OrtValue> Values => _values;

    /// <summary>Adds <paramref name="data"/> with <paramref name="shape"/>; the shape must hold exactly its elements.</summary>
    public OnnxInputs Add<T>(string name, T[] data, params long[] shape) where T : unmanaged
    {
        ArgumentNullException.ThrowIfNull(data);
        long count = 1;
        foreach (var dim in shape)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(dim, nameof(shape));
            count = checked(count * dim);
        }
        if (count != data.Length)
            throw new ArgumentException($"Input '{name}': shape [{string.Join(",", shape)}] holds {count} elements but the data has {data.Length}.", nameof(shape));
        _values.Add(OrtValue.CreateTensorValueFromMemory(data, shape));
        _names.Add(name);
        return this;
    }

    public void Dispose()
    {
        foreach (var value in _values) value.Dispose();
        _values.Clear();
        _names.Clear();
    }
}

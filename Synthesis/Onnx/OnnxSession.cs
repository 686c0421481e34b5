using System.Buffers;
using System.Collections.Frozen;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Orleans.Tts.Synthesis.Onnx;

/// <summary>
/// A loaded model. One instance serves all threads: <see cref="Run"/> is thread-safe, and each call
/// gets its own output tensors.
/// </summary>
public sealed unsafe class OnnxSession : IDisposable
{
    private readonly OrtApi api;
    private readonly OrtSessionHandle session;
    private readonly OrtMemoryInfoHandle cpuMemory;
    private readonly FrozenDictionary<string, int> inputIndex;
    private readonly FrozenDictionary<string, int> outputIndex;
    // Null-terminated UTF-8 names on the pinned object heap, so Run can hand out their addresses without pinning.
    private readonly byte[][] inputNamesUtf8;
    private readonly byte[][] outputNamesUtf8;
    private volatile bool disposed;

    /// <summary>Loads a model file. A missing file throws <see cref="FileNotFoundException"/>; an invalid one <see cref="OnnxRuntimeException"/>.</summary>
    public OnnxSession(OnnxRuntime runtime, string modelPath, OnnxSessionOptions? options = null)
        : this(runtime, options, ExistingModelFile(modelPath), (api, env, opts, result) =>
        {
            var fullPath = Path.GetFullPath(modelPath);
            fixed (byte* path = OrtApi.Utf8Z(fullPath))
                api.Check(api.CreateSession(env, path, opts, result), $"loading model '{fullPath}'");
        })
    {
    }

    /// <summary>Loads a model from its bytes (ONNX Runtime copies what it needs).</summary>
    public OnnxSession(OnnxRuntime runtime, byte[] model, OnnxSessionOptions? options = null)
        : this(runtime, options, $"<{model?.Length ?? throw new ArgumentNullException(nameof(model))} bytes>", (api, env, opts, result) =>
        {
            fixed (byte* data = model)
                api.Check(api.CreateSessionFromArray(env, data, (nuint)model.Length, opts, result),
                    $"loading a model from {model.Length} bytes");
        })
    {
    }

    private static string ExistingModelFile(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        var fullPath = Path.GetFullPath(modelPath);
        if (!File.Exists(fullPath))
            throw new FileNotFoundException($"ONNX model file '{fullPath}' does not exist.", fullPath);
        return fullPath;
    }

    private delegate void SessionFactory(OrtApi api, nint env, nint options, nint* result);

    private OnnxSession(OnnxRuntime runtime, OnnxSessionOptions? options, string modelDescription, SessionFactory create)
    {
        ArgumentNullException.ThrowIfNull(runtime);
        ObjectDisposedException.ThrowIf(runtime.IsDisposed, runtime);
        ModelDescription = modelDescription;
        api = runtime.Api;
        options ??= new OnnxSessionOptions();
        session = new OrtSessionHandle(api, runtime.Env);
        cpuMemory = new OrtMemoryInfoHandle(api);
        try
        {
            using (var sessionOptions = CreateSessionOptions(options))
            using (var env = runtime.Env.Acquire())
            using (var opts = sessionOptions.Acquire())
            {
                nint created;
                create(api, env.Pointer, opts.Pointer, &created);
                session.AttachSession(created);
            }

            nint memoryInfo;
            // OrtDeviceAllocator, OrtMemTypeDefault: plain CPU memory owned by the caller.
            api.Check(api.CreateCpuMemoryInfo(0, 0, &memoryInfo), "creating CPU memory info");
            cpuMemory.Attach(memoryInfo);

            Inputs = ReadNodes(isInput: true);
            Outputs = ReadNodes(isInput: false);
        }
        catch
        {
            session.Dispose();
            cpuMemory.Dispose();
            throw;
        }
        inputIndex = Inputs.Select((n, i) => (n.Name, i)).ToFrozenDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        outputIndex = Outputs.Select((n, i) => (n.Name, i)).ToFrozenDictionary(p => p.Name, p => p.i, StringComparer.Ordinal);
        inputNamesUtf8 = [.. Inputs.Select(n => PinnedUtf8Z(n.Name))];
        outputNamesUtf8 = [.. Outputs.Select(n => PinnedUtf8Z(n.Name))];
    }

    /// <summary>The model's inputs, in model order.</summary>
    public IReadOnlyList<OnnxNodeInfo> Inputs { get; }

    /// <summary>The model's outputs, in model order.</summary>
    public IReadOnlyList<OnnxNodeInfo> Outputs { get; }

    /// <summary>The model file path, or its size when loaded from bytes.</summary>
    public string ModelDescription { get; }

    /// <summary>
    /// Runs the model. Inputs must be float32 or int64 tensors and are read in place (pinned for the call);
    /// outputs (all, or those named, in that order) are copied into new managed tensors. Thread-safe.
    /// ONNX Runtime's errors (wrong shape, wrong type, missing input) throw <see cref="OnnxRuntimeException"/>.
    /// </summary>
    public IReadOnlyList<OnnxTensor> Run(IReadOnlyList<(string Name, OnnxTensor Value)> inputs, IReadOnlyList<string>? outputNames = null)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ObjectDisposedException.ThrowIf(disposed, this);
        var inputCount = inputs.Count;
        var outputCount = outputNames?.Count ?? Outputs.Count;

        var inputNamePointers = new nint[inputCount];
        var outputNamePointers = new nint[outputCount];
        for (var i = 0; i < inputCount; i++)
        {
            var (name, value) = inputs[i];
            ArgumentNullException.ThrowIfNull(value, $"inputs[{i}].Value");
            if (name is null || !inputIndex.TryGetValue(name, out var index))
                throw new ArgumentException(
                    $"The model has no input '{name}'. Its inputs: {string.Join(", ", Inputs)}.", nameof(inputs));
            inputNamePointers[i] = AddressOf(inputNamesUtf8[index]);
        }
        for (var i = 0; i < outputCount; i++)
        {
            var index = i;
            if (outputNames is not null && !outputIndex.TryGetValue(outputNames[i] ?? "", out index))
                throw new ArgumentException(
                    $"The model has no output '{outputNames[i]}'. Its outputs: {string.Join(", ", Outputs)}.", nameof(outputNames));
            outputNamePointers[i] = AddressOf(outputNamesUtf8[index]);
        }

        var pins = new MemoryHandle[inputCount];
        var inputValues = new OrtValueHandle[inputCount];
        var inputPointers = new nint[inputCount];
        // Allocated before Run so that taking ownership of its outputs cannot fail half-way.
        var outputValues = new OrtValueHandle[outputCount];
        var outputPointers = new nint[outputCount];
        for (var i = 0; i < outputCount; i++)
            outputValues[i] = new OrtValueHandle(api);
        using var sessionLease = session.Acquire();
        using var memoryLease = cpuMemory.Acquire();
        try
        {
            for (var i = 0; i < inputCount; i++)
            {
                var tensor = inputs[i].Value;
                pins[i] = tensor.Pin();
                inputValues[i] = new OrtValueHandle(api);
                nint created;
                fixed (long* shape = tensor.ShapeSpan)
                {
                    api.Check(
                        api.CreateTensorWithDataAsOrtValue(memoryLease.Pointer, pins[i].Pointer, (nuint)tensor.ByteLength,
                            shape, (nuint)tensor.Rank, (int)tensor.ElementType, &created),
                        $"creating input tensor '{inputs[i].Name}' {tensor}");
                }
                inputValues[i].Attach(created);
                inputPointers[i] = created;
            }

            fixed (nint* inNames = inputNamePointers)
            fixed (nint* inValues = inputPointers)
            fixed (nint* outNames = outputNamePointers)
            fixed (nint* outValues = outputPointers)
            {
                var status = api.Run(sessionLease.Pointer, 0, (byte**)inNames, inValues, (nuint)inputCount,
                    (byte**)outNames, (nuint)outputCount, outValues);
                for (var i = 0; i < outputCount; i++)
                    outputValues[i].Attach(outputPointers[i]);
                api.Check(status, $"running model {ModelDescription}");
            }

            var results = new OnnxTensor[outputCount];
            for (var i = 0; i < outputCount; i++)
                results[i] = ReadTensor(outputPointers[i], outputNames?[i] ?? Outputs[i].Name);
            return results;
        }
        finally
        {
            foreach (var value in outputValues)
                value.Dispose();
            foreach (var value in inputValues)
                value?.Dispose();
            foreach (var pin in pins)
                pin.Dispose();
        }
    }

    /// <summary>Runs the model with named inputs; see <see cref="Run(IReadOnlyList{ValueTuple{string, OnnxTensor}}, IReadOnlyList{string})"/>.</summary>
    public IReadOnlyList<OnnxTensor> Run(params (string Name, OnnxTensor Value)[] inputs) => Run((IReadOnlyList<(string, OnnxTensor)>)inputs);

    /// <summary>Frees the session once runs still in progress have finished.</summary>
    public void Dispose()
    {
        disposed = true;
        session.Dispose();
        cpuMemory.Dispose();
    }

    private OrtSessionOptionsHandle CreateSessionOptions(OnnxSessionOptions options)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(options.IntraOpThreads, nameof(options.IntraOpThreads));
        ArgumentOutOfRangeException.ThrowIfNegative(options.InterOpThreads, nameof(options.InterOpThreads));
        var handle = new OrtSessionOptionsHandle(api);
        try
        {
            nint created;
            api.Check(api.CreateSessionOptions(&created), "creating session options");
            handle.Attach(created);
            api.Check(api.SetIntraOpNumThreads(created, options.IntraOpThreads), "setting intra-op threads");
            api.Check(api.SetInterOpNumThreads(created, options.InterOpThreads), "setting inter-op threads");
            api.Check(api.SetSessionGraphOptimizationLevel(created, (int)options.Optimization), "setting the optimization level");
            api.Check(options.CpuMemoryArena ? api.EnableCpuMemArena(created) : api.DisableCpuMemArena(created), "setting the CPU memory arena");
            api.Check(options.MemoryPattern ? api.EnableMemPattern(created) : api.DisableMemPattern(created), "setting the memory pattern");
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private OnnxNodeInfo[] ReadNodes(bool isInput)
    {
        using var lease = session.Acquire();
        var pointer = lease.Pointer;
        nuint count;
        api.Check(isInput ? api.SessionGetInputCount(pointer, &count) : api.SessionGetOutputCount(pointer, &count),
            "counting model inputs/outputs");

        nint allocator;
        api.Check(api.GetAllocatorWithDefaultOptions(&allocator), "getting the default allocator");
        var nodes = new OnnxNodeInfo[(int)count];
        for (nuint i = 0; i < count; i++)
        {
            byte* name;
            api.Check(isInput ? api.SessionGetInputName(pointer, i, allocator, &name) : api.SessionGetOutputName(pointer, i, allocator, &name),
                "reading a model input/output name");
            var nodeName = api.TakeAllocatedString(name);

            using var typeInfo = new OrtTypeInfoHandle(api);
            nint info;
            api.Check(isInput ? api.SessionGetInputTypeInfo(pointer, i, &info) : api.SessionGetOutputTypeInfo(pointer, i, &info),
                $"reading the type of '{nodeName}'");
            typeInfo.Attach(info);

            // Borrowed from the type info, which frees it; null for non-tensor values.
            nint tensorInfo;
            api.Check(api.CastTypeInfoToTensorInfo(info, &tensorInfo), $"reading the tensor type of '{nodeName}'");
            nodes[(int)i] = tensorInfo == 0
                ? new OnnxNodeInfo(nodeName, OnnxElementType.Undefined, [])
                : new OnnxNodeInfo(nodeName, ReadElementType(tensorInfo), ReadShape(tensorInfo));
        }
        return nodes;
    }

    private OnnxElementType ReadElementType(nint tensorInfo)
    {
        int type;
        api.Check(api.GetTensorElementType(tensorInfo, &type), "reading a tensor element type");
        return (OnnxElementType)type;
    }

    private long[] ReadShape(nint tensorInfo)
    {
        nuint rank;
        api.Check(api.GetDimensionsCount(tensorInfo, &rank), "reading a tensor rank");
        var shape = new long[(int)rank];
        fixed (long* dims = shape)
            api.Check(api.GetDimensions(tensorInfo, dims, rank), "reading a tensor shape");
        return shape;
    }

    private OnnxTensor ReadTensor(nint value, string name)
    {
        int valueType;
        api.Check(api.GetValueType(value, &valueType), $"reading the type of output '{name}'");
        if (valueType != 1) // ONNX_TYPE_TENSOR
            throw new NotSupportedException($"Output '{name}' is not a tensor (ONNXType {valueType}).");

        OnnxElementType elementType;
        long[] shape;
        using (var info = new OrtTensorInfoHandle(api))
        {
            nint tensorInfo;
            api.Check(api.GetTensorTypeAndShape(value, &tensorInfo), $"reading the shape of output '{name}'");
            info.Attach(tensorInfo);
            elementType = ReadElementType(tensorInfo);
            shape = ReadShape(tensorInfo);
        }

        long count = 1;
        foreach (var dim in shape)
            count = checked(count * dim);
        if (count > Array.MaxLength)
            throw new NotSupportedException($"Output '{name}' has {count} elements, more than a managed array holds.");

        void* source = null;
        if (count > 0)
            api.Check(api.GetTensorMutableData(value, &source), $"reading the data of output '{name}'");

        Array data = elementType switch
        {
            OnnxElementType.Float => CopyOut<float>(source, (int)count),
            OnnxElementType.Int64 => CopyOut<long>(source, (int)count),
            _ => throw new NotSupportedException(
                $"Output '{name}' holds {elementType}; only {OnnxElementType.Float} and {OnnxElementType.Int64} outputs are supported."),
        };
        return OnnxTensor.Wrap(data, elementType, shape);
    }

    private static T[] CopyOut<T>(void* source, int count) where T : unmanaged
    {
        var result = GC.AllocateUninitializedArray<T>(count);
        if (count > 0)
            new ReadOnlySpan<T>(source, count).CopyTo(result);
        return result;
    }

    private static byte[] PinnedUtf8Z(string text)
    {
        var bytes = OrtApi.Utf8Z(text);
        var pinned = GC.AllocateArray<byte>(bytes.Length, pinned: true);
        bytes.CopyTo(pinned, 0);
        return pinned;
    }

    private static nint AddressOf(byte[] pinned) => (nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(pinned));
}

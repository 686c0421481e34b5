namespace Orleans.Tts.Synthesis.Onnx;

/// <summary>ONNX Runtime's <c>ONNXTensorElementDataType</c>.</summary>
public enum OnnxElementType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
}

/// <summary>ONNX Runtime's <c>GraphOptimizationLevel</c>.</summary>
public enum GraphOptimization
{
    Disabled = 0,
    Basic = 1,
    Extended = 2,
    All = 99,
}

/// <summary>How a session is built. Thread counts of 0 let ONNX Runtime choose.</summary>
public sealed record OnnxSessionOptions(
    int IntraOpThreads = 1,
    int InterOpThreads = 1,
    GraphOptimization Optimization = GraphOptimization.All,
    bool CpuMemoryArena = true,
    bool MemoryPattern = true);

/// <summary>
/// A model input or output. <see cref="Shape"/> has -1 for dynamic dimensions; it is empty and
/// <see cref="ElementType"/> is <see cref="OnnxElementType.Undefined"/> for non-tensor values.
/// </summary>
public sealed record OnnxNodeInfo(string Name, OnnxElementType ElementType, long[] Shape)
{
    public override string ToString() => $"{Name}: {ElementType}[{string.Join(",", Shape)}]";
}

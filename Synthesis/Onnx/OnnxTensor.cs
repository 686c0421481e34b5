using System.Buffers;

namespace Orleans.Tts.Synthesis.Onnx;

/// <summary>
/// A dense tensor in managed memory: a model input (pinned only while a run reads it) or an output
/// copied out of ONNX Runtime. The data array is shared, not copied: do not change it during a run.
/// </summary>
public sealed class OnnxTensor
{
    private readonly Array data;
    private readonly long[] shape;

    private OnnxTensor(Array data, OnnxElementType elementType, long[] shape)
    {
        this.data = data;
        this.shape = shape;
        ElementType = elementType;
    }

    public OnnxElementType ElementType { get; }

    /// <summary>The dimensions (a copy); empty for a scalar.</summary>
    public long[] Shape => (long[])shape.Clone();

    public int Rank => shape.Length;

    public int ElementCount => data.Length;

    /// <summary>A tensor over <paramref name="data"/>; without a shape, a vector of its length.</summary>
    public static OnnxTensor FromInt64(long[] data, params long[] shape) =>
        new(data, OnnxElementType.Int64, CheckedShape(data, shape));

    /// <summary>A tensor over <paramref name="data"/>; without a shape, a vector of its length.</summary>
    public static OnnxTensor FromFloat(float[] data, params long[] shape) =>
        new(data, OnnxElementType.Float, CheckedShape(data, shape));

    /// <summary>The elements in row-major order; throws unless this is a float32 tensor.</summary>
    public float[] AsFloat() => data as float[]
        ?? throw new InvalidOperationException($"The tensor holds {ElementType}, not {OnnxElementType.Float}.");

    /// <summary>The elements in row-major order; throws unless this is an int64 tensor.</summary>
    public long[] AsInt64() => data as long[]
        ?? throw new InvalidOperationException($"The tensor holds {ElementType}, not {OnnxElementType.Int64}.");

    public override string ToString() => $"{ElementType}[{string.Join(",", shape)}]";

    internal ReadOnlySpan<long> ShapeSpan => shape;

    internal int ByteLength => data.Length * ElementSize(ElementType);

    internal MemoryHandle Pin() => data switch
    {
        float[] f => f.AsMemory().Pin(),
        long[] l => l.AsMemory().Pin(),
        _ => throw new InvalidOperationException($"Unsupported tensor data {data.GetType()}."),
    };

    internal static OnnxTensor Wrap(Array data, OnnxElementType elementType, long[] shape) => new(data, elementType, shape);

    internal static int ElementSize(OnnxElementType type) => type switch
    {
        OnnxElementType.Float => sizeof(float),
        OnnxElementType.Int64 => sizeof(long),
        _ => throw new NotSupportedException($"Tensors of {type} are not supported."),
    };

    private static long[] CheckedShape(Array data, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        var length = data.Length;
        if (shape.Length == 0)
            return [length];
        long count = 1;
        foreach (var dim in shape)
        {
            if (dim < 0)
                throw new ArgumentException($"Tensor dimensions must not be negative: [{string.Join(",", shape)}].", nameof(shape));
            count = checked(count * dim);
        }
        if (count != length)
            throw new ArgumentException(
                $"Shape [{string.Join(",", shape)}] holds {count} elements but the data has {length}.", nameof(shape));
        return (long[])shape.Clone();
    }
}

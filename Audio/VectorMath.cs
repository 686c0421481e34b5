using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Orleans.Tts.Audio;

internal static class VectorMath
{
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var length = Math.Min(a.Length, b.Length);
        ref var x = ref MemoryMarshal.GetReference(a);
        ref var y = ref MemoryMarshal.GetReference(b);
        var width = Vector<float>.Count;
        Vector<float> acc0 = Vector<float>.Zero, acc1 = Vector<float>.Zero;
        var i = 0;
        for (; i <= length - 2 * width; i += 2 * width)
        {
            acc0 += Vector.LoadUnsafe(ref x, (nuint)i) * Vector.LoadUnsafe(ref y, (nuint)i);
            acc1 += Vector.LoadUnsafe(ref x, (nuint)(i + width)) * Vector.LoadUnsafe(ref y, (nuint)(i + width));
        }
        var sum = Vector.Sum(acc0 + acc1);
        for (; i < length; i++)
            sum += Unsafe.Add(ref x, i) * Unsafe.Add(ref y, i);
        return sum;
    }

    /// <summary>Zeroth-order modified Bessel function of the first kind (Kaiser window), by its power series.</summary>
    public static double BesselI0(double x)
    {
        var sum = 1.0;
        var term = 1.0;
        var quarterSquare = x * x / 4;
        for (var k = 1; k < 200 && term > sum * 1e-17; k++)
        {
            term *= quarterSquare / ((double)k * k);
            sum += term;
        }
        return sum;
    }

    public static float[] ToFloat(ReadOnlySpan<short> samples)
    {
        var result = new float[samples.Length];
        for (var i = 0; i < samples.Length; i++)
            result[i] = samples[i];
        return result;
    }

    /// <summary>Rounds to 16-bit PCM, saturating: filter overshoot on full-scale input must not wrap around.</summary>
    public static short[] ToPcm16(ReadOnlySpan<float> samples)
    {
        var result = new short[samples.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            var v = samples[i];
            result[i] = float.IsNaN(v) ? (short)0 : (short)Math.Clamp(MathF.Round(v), short.MinValue, short.MaxValue);
        }
        return result;
    }
}

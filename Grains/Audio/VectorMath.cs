using System.Numerics;

namespace Orleans.Tts.Grains.Audio;

internal static class VectorMath
{
    public static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var length = Math.Min(a.Length, b.Length);
        var width = Vector<float>.Count;
        var acc = Vector<float>.Zero;
        var i = 0;
        for (; i <= length - width; i += width)
            acc += new Vector<float>(a[i..]) * new Vector<float>(b[i..]);
        var sum = Vector.Sum(acc);
        for (; i < length; i++)
            sum += a[i] * b[i];
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

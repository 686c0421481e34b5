using System.Collections.Concurrent;

namespace Orleans.Tts.Audio;

/// <summary>
/// Band-limited sample-rate conversion between arbitrary integer rates (windowed-sinc, Kaiser, polyphase).
/// Output length is round(input length × to / from); equal rates return a copy.
/// </summary>
public static class Resampler
{
    // A filter table is an immutable, deterministic function of the rate pair, so a process-wide memo of
    // tables carries no behavioural state: any caller on any thread gets the same table it would have built.
    // Bounded so that callers cycling through many unusual rate pairs cannot grow it without limit.
    private static readonly ConcurrentDictionary<(int From, int To), PolyphaseFilter> Filters = new();
    private const int MaxCachedFilters = 32;

    public static short[] Resample(ReadOnlySpan<short> input, int fromRate, int toRate)
    {
        Validate(fromRate, toRate);
        if (fromRate == toRate)
            return input.ToArray();
        return VectorMath.ToPcm16(ResampleCore(VectorMath.ToFloat(input), fromRate, toRate));
    }

    public static float[] Resample(ReadOnlySpan<float> input, int fromRate, int toRate)
    {
        Validate(fromRate, toRate);
        if (fromRate == toRate)
            return input.ToArray();
        return ResampleCore(input, fromRate, toRate);
    }

    /// <summary>round(length × to / from), halves rounded up.</summary>
    public static int OutputLength(int inputLength, int fromRate, int toRate)
    {
        Validate(fromRate, toRate);
        ArgumentOutOfRangeException.ThrowIfNegative(inputLength);
        return checked((int)(((long)inputLength * toRate + fromRate / 2) / fromRate));
    }

    private static float[] ResampleCore(ReadOnlySpan<float> input, int fromRate, int toRate)
    {
        var output = new float[OutputLength(input.Length, fromRate, toRate)];
        if (output.Length == 0)
            return output;

        var filter = GetFilter(fromRate, toRate);
        var padded = new float[input.Length + filter.TapCount + 1];
        input.CopyTo(padded.AsSpan(filter.HalfTaps - 1));
        filter.Process(padded, output);
        return output;
    }

    private static PolyphaseFilter GetFilter(int fromRate, int toRate)
    {
        var key = (fromRate, toRate);
        if (Filters.TryGetValue(key, out var cached))
            return cached;
        var filter = new PolyphaseFilter(fromRate, toRate);
        return Filters.Count < MaxCachedFilters ? Filters.GetOrAdd(key, filter) : filter;
    }

    private static void Validate(int fromRate, int toRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toRate);
    }
}

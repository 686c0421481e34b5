namespace Orleans.Tts.Audio;

/// <summary>
/// Pitch-preserving tempo change for speech by WSOLA (waveform-similarity overlap-add).
/// <c>factor</c> = output duration / input duration (2 = twice as long, i.e. half speed).
/// </summary>
public static class TimeStretch
{
    public const double MinFactor = 0.25;
    public const double MaxFactor = 4.0;

    public static short[] Stretch(ReadOnlySpan<short> input, int sampleRate, double factor)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        if (!(factor is >= MinFactor and <= MaxFactor))
            throw new ArgumentOutOfRangeException(nameof(factor), factor, $"Stretch factor must be within [{MinFactor}, {MaxFactor}].");

        var outputLength = (int)Math.Round(input.Length * factor, MidpointRounding.AwayFromZero);
        if (outputLength == 0)
            return [];
        if (factor == 1.0)
            return input.ToArray();

        var output = new Wsola(sampleRate).Stretch(VectorMath.ToFloat(input), factor, outputLength);
        return VectorMath.ToPcm16(output);
    }
}

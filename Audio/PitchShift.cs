namespace Orleans.Tts.Audio;

/// <summary>
/// Duration-preserving pitch shift for engines without a pitch control: stretch the audio in time by the
/// pitch factor (WSOLA), then resample it back to its length, which scales every frequency by that factor.
/// </summary>
public static class PitchShift
{
    public const double MaxSemitones = 12;

    public static short[] Shift(ReadOnlySpan<short> input, int sampleRate, double semitones)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(sampleRate);
        if (!(Math.Abs(semitones) <= MaxSemitones))
            throw new ArgumentOutOfRangeException(nameof(semitones), semitones, $"Pitch shifts are within ±{MaxSemitones} semitones.");
        if (semitones == 0 || input.Length == 0) return input.ToArray();

        // The resampler works on whole rates, so the factor is the ratio it can do exactly (within 0.1 cent at 16 kHz and up).
        var stretchedRate = (int)Math.Round(sampleRate * Math.Pow(2, semitones / 12));
        var stretched = TimeStretch.Stretch(input, sampleRate, (double)stretchedRate / sampleRate);
        return Resampler.Resample(stretched, stretchedRate, sampleRate);
    }
}

namespace Orleans.Tts.Audio;

/// <summary>
/// WSOLA: Hann frames of length N are overlap-added at a fixed synthesis hop N/2; each frame is read from
/// near its nominal input position (output time / factor), shifted within ±tolerance to the segment most
/// similar to the natural continuation of the previous frame, so consecutive frames join in phase and
/// the waveform period (pitch) is kept.
/// </summary>
internal sealed class Wsola(int sampleRate)
{
    private const double FrameSeconds = 0.030;     // spans ≥ 2 periods of a low (70 Hz) voice
    private const double ToleranceSeconds = 0.008; // ±8 ms: a search range of one full period down to ~60 Hz
    private const double SilenceEnergy = 1.0;      // mean square in 16-bit units²: RMS below one LSB has nothing to align
    private const int Refine = 2;                  // full-resolution search radius around the coarse (half-rate) best match

    private readonly int _hop = Math.Max(2, (int)Math.Round(sampleRate * FrameSeconds / 2));
    private readonly int _tolerance = Math.Max(2, (int)Math.Round(sampleRate * ToleranceSeconds));

    private int FrameLength => 2 * _hop;

    public float[] Stretch(float[] input, double factor, int outputLength)
    {
        // Frame k is centred on output time k·hop and on input time k·hop/factor. Both signals get a
        // half-frame of leading padding so that frame 0 can start half a frame before time 0.
        var frames = (outputLength + _hop) / _hop + 1;
        var lastNominal = (int)Math.Ceiling((frames - 1) * _hop / factor);
        var signal = new PaddedSignal(input, _hop, Math.Max(_hop + input.Length, lastNominal + _tolerance) + FrameLength + _hop + 2);
        var window = HannWindow(FrameLength);

        var output = new float[frames * _hop + FrameLength];
        var weight = new float[output.Length];
        var template = new float[FrameLength / 2];
        // The last frames would otherwise drift into the trailing padding and find nothing to copy.
        var lastStart = Math.Max(0, _hop + input.Length - FrameLength);
        var previous = 0;
        for (var k = 0; k < frames; k++)
        {
            var nominal = Math.Min(lastStart, (int)Math.Round(k * _hop / factor));
            var start = k == 0 ? 0 : BestMatch(signal, template, reference: previous + _hop, nominal, lastStart);
            OverlapAdd(signal, start, window, output.AsSpan(k * _hop, FrameLength), weight.AsSpan(k * _hop, FrameLength));
            previous = start;
        }

        // Windows sum to 1 wherever frames lie inside the input; near the ends, part of a frame reads
        // padding, so divide by the weight that actually read input instead of fading out.
        var result = new float[outputLength];
        for (var q = 0; q < outputLength; q++)
        {
            var w = weight[q + _hop];
            result[q] = w > 1e-6f ? output[q + _hop] / w : 0f;
        }
        return result;
    }

    private void OverlapAdd(PaddedSignal signal, int start, float[] window, Span<float> output, Span<float> weight)
    {
        var frame = signal.Samples.AsSpan(start, FrameLength);
        for (var n = 0; n < FrameLength; n++)
        {
            if (!signal.IsInput(start + n))
                continue;
            output[n] += window[n] * frame[n];
            weight[n] += window[n];
        }
    }

    /// <summary>
    /// Start within nominal ± tolerance whose frame best matches the frame at <paramref name="reference"/>
    /// (normalized cross-correlation): first every other lag on the half-rate signal, then every lag nearby.
    /// </summary>
    private int BestMatch(PaddedSignal signal, float[] template, int reference, int nominal, int lastStart)
    {
        var length = FrameLength;
        if (signal.Energy(reference, length) < SilenceEnergy * length)
            return nominal;

        var lo = Math.Max(0, nominal - _tolerance);
        var hi = Math.Min(lastStart, nominal + _tolerance);

        signal.HalfRate(reference, template);
        var coarse = Math.Clamp(nominal, lo, hi);
        var bestScore = double.NegativeInfinity;
        for (var candidate = lo + (lo & 1); candidate <= hi; candidate += 2)
        {
            var energy = signal.Energy(candidate, length);
            if (energy < SilenceEnergy * length)
                continue;
            var score = VectorMath.Dot(template, signal.HalfRateSamples.AsSpan(candidate / 2, template.Length)) / Math.Sqrt(energy);
            if (score > bestScore)
                (bestScore, coarse) = (score, candidate);
        }

        var reference0 = signal.Samples.AsSpan(reference, length);
        var best = coarse;
        bestScore = double.NegativeInfinity;
        for (var candidate = Math.Max(lo, coarse - Refine); candidate <= Math.Min(hi, coarse + Refine); candidate++)
        {
            var energy = signal.Energy(candidate, length);
            if (energy < SilenceEnergy * length)
                continue;
            var score = VectorMath.Dot(reference0, signal.Samples.AsSpan(candidate, length)) / Math.Sqrt(energy);
            if (score > bestScore)
                (bestScore, best) = (score, candidate);
        }
        return best;
    }

    /// <summary>Periodic Hann: copies at a hop of half its length sum to exactly 1.</summary>
    private static float[] HannWindow(int length) =>
        Enumerable.Range(0, length).Select(n => (float)(0.5 - 0.5 * Math.Cos(2 * Math.PI * n / length))).ToArray();
}

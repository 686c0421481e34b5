namespace Orleans.Tts.Onnx.Tests;

/// <summary>Decodes the fixture models' tone segments.</summary>
internal static class Audio
{
    /// <summary>Amplitude of the component with <paramref name="cycles"/> cycles per <paramref name="period"/> samples (Goertzel).</summary>
    public static double Amplitude(ReadOnlySpan<float> samples, double cycles, int period)
    {
        var omega = 2 * Math.PI * cycles / period;
        double re = 0, im = 0;
        for (var k = 0; k < samples.Length; k++)
        {
            re += samples[k] * Math.Cos(omega * k);
            im -= samples[k] * Math.Sin(omega * k);
        }
        return 2 * Math.Sqrt(re * re + im * im) / samples.Length;
    }

    /// <summary>The tone (in cycles per period) of each segment: the strongest of 1..period/2-1.</summary>
    public static int[] SegmentTones(float[] audio, int segmentLength, int period)
    {
        Assert.Equal(0, audio.Length % segmentLength);
        var tones = new int[audio.Length / segmentLength];
        for (var s = 0; s < tones.Length; s++)
        {
            var segment = audio.AsSpan(s * segmentLength, segmentLength);
            var best = 0;
            var bestAmplitude = -1.0;
            for (var cycles = 1; cycles < period / 2; cycles++)
            {
                var amplitude = Amplitude(segment, cycles, period);
                if (amplitude > bestAmplitude)
                    (best, bestAmplitude) = (cycles, amplitude);
            }
            tones[s] = best;
        }
        return tones;
    }
}

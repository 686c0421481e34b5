namespace Orleans.Tts.Audio.Tests;

/// <summary>Test-signal generation and measurement.</summary>
internal static class Signals
{
    public static float[] Sine(double frequency, int sampleRate, int length, double amplitude, double phase = 0) =>
        Enumerable.Range(0, length)
            .Select(n => (float)(amplitude * Math.Sin(2 * Math.PI * frequency * n / sampleRate + phase)))
            .ToArray();

    public static short[] ToPcm(float[] samples) =>
        samples.Select(s => (short)Math.Clamp(Math.Round(s), short.MinValue, short.MaxValue)).ToArray();

    public static double[] ToDouble(ReadOnlySpan<float> samples) => samples.ToArray().Select(s => (double)s).ToArray();

    public static double[] ToDouble(ReadOnlySpan<short> samples) => samples.ToArray().Select(s => (double)s).ToArray();

    /// <summary>The middle of a signal, away from edge effects: drops <paramref name="trim"/> of its length at each end.</summary>
    public static double[] Middle(double[] samples, double trim = 0.15)
    {
        var skip = (int)(samples.Length * trim);
        return samples[skip..^skip];
    }

    public static double Rms(ReadOnlySpan<double> samples)
    {
        var sum = 0.0;
        foreach (var s in samples)
            sum += s * s;
        return samples.Length == 0 ? 0 : Math.Sqrt(sum / samples.Length);
    }

    public static double Db(double ratio) => 20 * Math.Log10(ratio);

    /// <summary>Amplitude of the <paramref name="frequency"/> component by a least-squares sine/cosine fit.</summary>
    public static double Amplitude(double[] samples, double frequency, int sampleRate)
    {
        double cc = 0, ss = 0, cs = 0, xc = 0, xs = 0;
        for (var n = 0; n < samples.Length; n++)
        {
            var w = 2 * Math.PI * frequency * n / sampleRate;
            double c = Math.Cos(w), s = Math.Sin(w);
            cc += c * c;
            ss += s * s;
            cs += c * s;
            xc += samples[n] * c;
            xs += samples[n] * s;
        }
        var det = cc * ss - cs * cs;
        var a = (xc * ss - xs * cs) / det;
        var b = (xs * cc - xc * cs) / det;
        return Math.Sqrt(a * a + b * b);
    }

    /// <summary>Frequency from the spacing of rising zero crossings (linearly interpolated).</summary>
    public static double ZeroCrossingFrequency(double[] samples, int sampleRate)
    {
        double? first = null;
        double last = 0;
        var count = 0;
        for (var n = 1; n < samples.Length; n++)
        {
            if (samples[n - 1] < 0 && samples[n] >= 0)
            {
                var t = n - 1 + samples[n - 1] / (samples[n - 1] - samples[n]);
                first ??= t;
                last = t;
                count++;
            }
        }
        if (count < 2 || first is null)
            throw new InvalidOperationException("Too few zero crossings to estimate a frequency.");
        return (count - 1) * sampleRate / (last - first.Value);
    }

    /// <summary>Fundamental frequency by normalized autocorrelation peak (parabolically refined), searched in [minHz, maxHz].</summary>
    public static double AutocorrelationPitch(double[] samples, int sampleRate, double minHz, double maxHz)
    {
        var minLag = (int)(sampleRate / maxHz);
        var maxLag = (int)Math.Ceiling(sampleRate / minHz);
        var scores = new double[maxLag + 2];
        for (var lag = minLag - 1; lag <= maxLag + 1; lag++)
        {
            double xy = 0, xx = 0, yy = 0;
            for (var n = 0; n + lag < samples.Length; n++)
            {
                xy += samples[n] * samples[n + lag];
                xx += samples[n] * samples[n];
                yy += samples[n + lag] * samples[n + lag];
            }
            scores[lag] = xy / Math.Sqrt(xx * yy + 1e-12);
        }
        var best = minLag;
        for (var lag = minLag; lag <= maxLag; lag++)
        {
            if (scores[lag] > scores[best])
                best = lag;
        }
        double l = scores[best - 1], c = scores[best], r = scores[best + 1];
        var offset = 0.5 * (l - r) / (l - 2 * c + r);
        return sampleRate / (best + offset);
    }
}

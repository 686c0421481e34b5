using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Engine.Tests;

/// <summary>Measurements of real audio for assertions.</summary>
public static class AudioAssert
{
    /// <summary>Root mean square level in dBFS (−∞ for silence).</summary>
    public static double RmsDbfs(ReadOnlySpan<short> samples)
    {
        if (samples.Length == 0) return double.NegativeInfinity;
        double sum = 0;
        foreach (var s in samples) sum += (double)s * s;
        var rms = Math.Sqrt(sum / samples.Length) / 32768.0;
        return 20 * Math.Log10(Math.Max(rms, 1e-12));
    }

    public static void IsSpeech(AudioClip clip, double minSeconds, double maxSeconds)
    {
        Assert.InRange(clip.Duration.TotalSeconds, minSeconds, maxSeconds);
        Assert.True(RmsDbfs(clip.Samples) > -35, $"Audio is too quiet for speech: {RmsDbfs(clip.Samples):0.0} dBFS.");
    }
}

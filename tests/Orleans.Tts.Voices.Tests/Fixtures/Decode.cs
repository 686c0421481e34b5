using Tones = Orleans.Tts.Onnx.Tests.Audio;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Voices.Tests.Fixtures;

/// <summary>Reads back what the fixture models were fed: each id is one tone segment.</summary>
public static class Decode
{
    public static float[] ToFloat(IReadOnlyList<short> samples) => [.. samples.Select(s => s / 32767f)];

    /// <summary>The ids of a clip made of <paramref name="segment"/>-sample tones at <c>base + id + offset</c> cycles per <paramref name="period"/>.</summary>
    public static long[] Ids(ReadOnlySpan<short> samples, int segment, int period, int baseCycles, int offset = 0)
    {
        var audio = ToFloat(samples.ToArray());
        return [.. Tones.SegmentTones(audio, segment, period).Select(t => (long)(t - baseCycles - offset))];
    }

    /// <summary>The amplitude of the tone of segment <paramref name="index"/>.</summary>
    public static double Amplitude(AudioClip clip, int index, int segment, int period, double cycles) =>
        Tones.Amplitude(ToFloat(clip.Samples).AsSpan(index * segment, segment), cycles, period);
}

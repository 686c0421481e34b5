namespace Orleans.Tts.Synthesis;

/// <summary>Mono 16-bit PCM at <paramref name="SampleRate"/>.</summary>
/// <param name="Words">When word timings were asked for: the words in order, their times in samples of this clip. Text spans index
/// the sentence the engine was given; the worker pool maps them to the request's input before the clip leaves it.</param>
[GenerateSerializer, Immutable, Alias("tts.AudioClip")]
public sealed record AudioClip([property: Id(0)] int SampleRate, [property: Id(1)] short[] Samples, [property: Id(2)] IReadOnlyList<WordTiming>? Words = null)
{
    public TimeSpan Duration => TimeSpan.FromSeconds((double)Samples.Length / SampleRate);

    public static AudioClip Empty(int sampleRate) => new(sampleRate, []);

    /// <summary>Converts float samples in [-1, 1] (clipped outside) to 16-bit PCM.</summary>
    public static AudioClip FromFloat(int sampleRate, ReadOnlySpan<float> samples)
    {
        var pcm = new short[samples.Length];
        for (var i = 0; i < samples.Length; i++)
        {
            var v = samples[i];
            pcm[i] = float.IsNaN(v) ? (short)0 : (short)Math.Clamp(MathF.Round(v * 32767f), -32768f, 32767f);
        }
        return new AudioClip(sampleRate, pcm);
    }

    /// <summary>Concatenates clips of one sample rate.</summary>
    public static AudioClip Concat(int sampleRate, IEnumerable<AudioClip> clips)
    {
        var list = clips.ToList();
        if (list.Any(c => c.SampleRate != sampleRate))
            throw new ArgumentException("All clips must share one sample rate.", nameof(clips));
        var all = new short[list.Sum(c => c.Samples.Length)];
        var at = 0;
        foreach (var c in list)
        {
            c.Samples.CopyTo(all, at);
            at += c.Samples.Length;
        }
        return new AudioClip(sampleRate, all);
    }
}

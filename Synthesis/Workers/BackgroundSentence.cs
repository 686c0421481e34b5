namespace Orleans.Tts.Synthesis.Workers;

/// <summary>A job sentence from the worker pool's background lane: its audio as a clip, or packed where its engine synthesised it.</summary>
public readonly record struct BackgroundSentence(AudioClip? Clip = null, PackedSentence? Packed = null)
{
    public int SampleRate => Clip?.SampleRate ?? Packed!.SampleRate;
    public int SampleCount => Clip?.Samples.Length ?? Packed!.SampleCount;
    public IReadOnlyList<WordTiming>? Words => Clip is null ? Packed!.Words : Clip.Words;
}

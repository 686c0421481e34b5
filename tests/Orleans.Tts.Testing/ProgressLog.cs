namespace Orleans.Tts.Testing;

/// <summary>An <see cref="IProgress{T}"/> that records every report at once, in order (<see cref="Progress{T}"/> posts them later).</summary>
public sealed class ProgressLog<T> : IProgress<T>
{
    private readonly List<T> _seen = [];

    public IReadOnlyList<T> Seen { get { lock (_seen) return [.. _seen]; } }

    public void Report(T value)
    {
        lock (_seen) _seen.Add(value);
    }
}

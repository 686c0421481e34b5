using System.Buffers;

namespace Orleans.Tts.Synthesis;

/// <summary>
/// A sentence's audio packed where it was synthesised (<see cref="Orleans.Tts.Audio.Codecs.PackedPcm"/>): <see cref="SampleCount"/>
/// samples at <see cref="SampleRate"/>, in a buffer rented from <see cref="ArrayPool{T}.Shared"/> that <see cref="Dispose"/> returns.
/// Job sentences travel so: the silo stores them without holding their samples.
/// </summary>
public sealed class PackedSentence(int sampleRate, int sampleCount, byte[] rented, int length) : IDisposable
{
    private byte[]? _rented = rented;

    public int SampleRate { get; } = sampleRate;
    public int SampleCount { get; } = sampleCount;

    /// <summary>When word timings were asked for: the words in order, as in <see cref="AudioClip.Words"/>.</summary>
    public IReadOnlyList<WordTiming>? Words { get; set; }

    public ReadOnlySpan<byte> Bytes => (_rented ?? throw new ObjectDisposedException(nameof(PackedSentence))).AsSpan(0, length);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _rented, null) is { } buffer) ArrayPool<byte>.Shared.Return(buffer);
    }
}

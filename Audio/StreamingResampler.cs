namespace Orleans.Tts.Audio;

/// <summary>
/// <see cref="Resampler"/> for input that arrives in chunks: the concatenated output of <see cref="Push"/> and
/// <see cref="Complete"/> equals <see cref="Resampler.Resample(ReadOnlySpan{short}, int, int)"/> of the whole input.
/// An output sample is emitted as soon as every input sample its filter window covers has arrived.
/// </summary>
public sealed class StreamingResampler
{
    private readonly PolyphaseFilter? _filter;
    private float[] _window = new float[4096]; // padded input from padded position _windowStart
    private int _windowLength;
    private long _windowStart;
    private long _inputLength;
    private long _produced;
    private bool _completed;

    public StreamingResampler(int fromRate, int toRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fromRate);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(toRate);
        FromRate = fromRate;
        ToRate = toRate;
        if (fromRate == toRate) return;
        _filter = new PolyphaseFilter(fromRate, toRate);
        Append(new float[_filter.HalfTaps - 1]);
    }

    public int FromRate { get; }
    public int ToRate { get; }

    public short[] Push(ReadOnlySpan<short> input)
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _inputLength += input.Length;
        if (_filter is null) return input.ToArray();
        Append(VectorMath.ToFloat(input));
        return Drain(long.MaxValue);
    }

    /// <summary>The remaining output: the tail whose filter windows reach past the end of the input.</summary>
    public short[] Complete()
    {
        ObjectDisposedException.ThrowIf(_completed, this);
        _completed = true;
        if (_filter is null) return [];
        Append(new float[_filter.HalfTaps + 1]);
        return Drain((_inputLength * ToRate + FromRate / 2) / FromRate);
    }

    private short[] Drain(long total)
    {
        var filter = _filter!;
        var available = _windowStart + _windowLength;
        // Output n reads padded[i, i + TapCount) with i = ⌊n·Down/Up⌋.
        var count = 0L;
        while (_produced + count < total && ((_produced + count) * filter.Down / filter.Up) + filter.TapCount <= available)
            count++;
        if (count == 0) return [];

        var first = _produced * filter.Down;
        var output = new float[count];
        filter.Process(_window.AsSpan(0, _windowLength), output, (int)(first / filter.Up - _windowStart), (int)(first % filter.Up));
        _produced += count;

        var keepFrom = _produced * filter.Down / filter.Up - _windowStart;
        _window.AsSpan((int)keepFrom, _windowLength - (int)keepFrom).CopyTo(_window);
        _windowLength -= (int)keepFrom;
        _windowStart += keepFrom;
        return VectorMath.ToPcm16(output);
    }

    private void Append(ReadOnlySpan<float> samples)
    {
        if (_windowLength + samples.Length > _window.Length)
            Array.Resize(ref _window, Math.Max(_window.Length * 2, _windowLength + samples.Length));
        samples.CopyTo(_window.AsSpan(_windowLength));
        _windowLength += samples.Length;
    }
}

namespace Orleans.Tts.Audio;

/// <summary>Input surrounded by zeros, with running energy and a half-rate copy for coarse correlation search.</summary>
internal sealed class PaddedSignal
{
    private readonly int _offset;
    private readonly int _inputLength;
    private readonly double[] _prefixEnergy;

    public PaddedSignal(ReadOnlySpan<float> input, int offset, int length)
    {
        _offset = offset;
        _inputLength = input.Length;
        Samples = new float[length];
        input.CopyTo(Samples.AsSpan(offset));

        _prefixEnergy = new double[length + 1];
        for (var i = 0; i < length; i++)
            _prefixEnergy[i + 1] = _prefixEnergy[i] + (double)Samples[i] * Samples[i];

        HalfRateSamples = new float[length / 2];
        for (var m = 0; m < HalfRateSamples.Length; m++)
            HalfRateSamples[m] = Samples[2 * m] + Samples[2 * m + 1];
    }

    public float[] Samples { get; }

    /// <summary>Pairwise sums of <see cref="Samples"/> from index 0: a crude low-pass + decimation by 2.</summary>
    public float[] HalfRateSamples { get; }

    public bool IsInput(int index) => index >= _offset && index < _offset + _inputLength;

    public double Energy(int start, int length) => _prefixEnergy[start + length] - _prefixEnergy[start];

    /// <summary>Pairwise sums starting at <paramref name="start"/> (any parity) into <paramref name="destination"/>.</summary>
    public void HalfRate(int start, Span<float> destination)
    {
        for (var m = 0; m < destination.Length; m++)
            destination[m] = Samples[start + 2 * m] + Samples[start + 2 * m + 1];
    }
}

namespace Orleans.Tts.Audio;

/// <summary>
/// Immutable windowed-sinc (Kaiser) polyphase table for one rate pair, reduced to L/M = to/from.
/// Output sample n sits at input position n·M/L = i + r/L; phase r selects one row of taps.
/// When L is too large for a row per phase (unusual rate pairs), rows are kept at a finer-than-needed
/// fixed resolution and adjacent rows are linearly interpolated.
/// </summary>
internal sealed class PolyphaseFilter
{
    private const int ZeroCrossings = 32;     // per side of the sinc
    private const double Rolloff = 0.91;      // cutoff as a fraction of the lower Nyquist; stopband starts just below it
    private const double KaiserBeta = 8.6;    // ≈ 86 dB stopband
    private const int MaxExactPhases = 2048;

    private readonly float[] _taps;           // row-major: Rows × TapCount
    private readonly int _phases;             // table rows per input sample (P); row P, if present, is the next sample's phase 0
    private readonly bool _interpolated;

    public PolyphaseFilter(int fromRate, int toRate)
    {
        var gcd = Gcd(fromRate, toRate);
        Up = toRate / gcd;
        Down = fromRate / gcd;

        var cutoff = 0.5 * Math.Min(1.0, (double)toRate / fromRate) * Rolloff; // cycles per input sample
        var halfWidth = ZeroCrossings / (2 * cutoff);                            // input samples
        HalfTaps = (int)Math.Ceiling(halfWidth);
        TapCount = 2 * HalfTaps;

        _interpolated = Up > MaxExactPhases;
        _phases = _interpolated ? MaxExactPhases : Up;
        var rows = _interpolated ? _phases + 1 : _phases;
        _taps = new float[rows * TapCount];
        for (var p = 0; p < rows; p++)
            FillRow(_taps.AsSpan(p * TapCount, TapCount), (double)p / _phases, cutoff, halfWidth);
    }

    public int Up { get; }
    public int Down { get; }
    public int HalfTaps { get; }
    public int TapCount { get; }

    /// <summary>
    /// <paramref name="padded"/> is the input preceded by HalfTaps − 1 zeros and followed by at least
    /// HalfTaps + 1 zeros, so that every tap window is in range.
    /// </summary>
    public void Process(ReadOnlySpan<float> padded, Span<float> output) => Process(padded, output, 0, 0);

    /// <summary>As above, with the first output at padded position <paramref name="index"/> + <paramref name="remainder"/>/Up (streaming).</summary>
    public void Process(ReadOnlySpan<float> padded, Span<float> output, int index, int remainder)
    {
        var wholeStep = Down / Up;
        var fractionStep = Down % Up;
        for (var n = 0; n < output.Length; n++)
        {
            var window = padded.Slice(index, TapCount);
            if (!_interpolated)
            {
                output[n] = VectorMath.Dot(Row(remainder), window);
            }
            else
            {
                var position = (double)remainder * _phases / Up;
                var row = (int)position;
                var weight = (float)(position - row);
                var a = VectorMath.Dot(Row(row), window);
                var b = VectorMath.Dot(Row(row + 1), window);
                output[n] = a + (b - a) * weight;
            }

            index += wholeStep;
            remainder += fractionStep;
            if (remainder >= Up)
            {
                remainder -= Up;
                index++;
            }
        }
    }

    private ReadOnlySpan<float> Row(int row) => _taps.AsSpan(row * TapCount, TapCount);

    /// <summary>Taps for an output point <paramref name="fraction"/> of a sample after input i; tap j reads input i − HalfTaps + 1 + j.</summary>
    private void FillRow(Span<float> row, double fraction, double cutoff, double halfWidth)
    {
        var besselBeta = VectorMath.BesselI0(KaiserBeta);
        var values = new double[row.Length];
        var sum = 0.0;
        for (var j = 0; j < row.Length; j++)
        {
            var t = fraction + HalfTaps - 1 - j;
            var x = t / halfWidth;
            if (Math.Abs(x) >= 1)
                continue;
            var arg = 2 * cutoff * t;
            var sinc = arg == 0 ? 1.0 : Math.Sin(Math.PI * arg) / (Math.PI * arg);
            var kaiser = VectorMath.BesselI0(KaiserBeta * Math.Sqrt(1 - x * x)) / besselBeta;
            values[j] = 2 * cutoff * sinc * kaiser;
            sum += values[j];
        }
        // Unity DC gain for every phase, so a constant input stays exactly constant (no phase-dependent ripple).
        for (var j = 0; j < row.Length; j++)
            row[j] = (float)(values[j] / sum);
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0)
            (a, b) = (b, a % b);
        return a;
    }
}

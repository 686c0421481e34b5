namespace Orleans.Tts.Grains.Admission;

/// <summary>
/// How long a permit is held (a request's service time), learnt from the holds observed, as TCP learns its round-trip
/// time (RFC 6298): an exponentially weighted mean (gain 1/8) and mean deviation (gain 1/4) of the hold per unit of text,
/// and <see cref="Expected"/> = (mean + 4 × deviation) × units, which is above nearly every hold seen. A unit is up to
/// <see cref="UnitChars"/> characters: short texts cost about the same (the fixed costs dominate), longer ones
/// proportionally more. Until the first hold is observed, every unit is taken to cost the initial guess; the first hold
/// replaces it, and the deviation starts at zero (TCP starts it at half the first sample, which would triple the first
/// estimate and refuse waiters that could still finish in time). One hold counts at most <see cref="MaxSampleOfMean"/> times the
/// mean per unit: a single stall (a GC pause, a silo killed mid-request, a starved CPU for a moment) would otherwise lift the
/// deviation, and with it every reservation, by a quarter of the stall, and the queue would refuse requests that could finish in
/// time for the next several seconds (found by the soak: a 1-sentence synthesis was expected to take 2.5 s). A real slowdown
/// is still followed: every hold moves the mean by up to 3/8 of it, so it catches up within a few holds.
/// </summary>
public sealed class ServiceTimeEstimate(TimeSpan initial)
{
    public const int UnitChars = 100;
    public const double MaxSampleOfMean = 4;
    private readonly Lock _gate = new();
    private double _meanHold = initial.Ticks, _meanPerUnit = initial.Ticks, _deviationPerUnit;
    private bool _observed;

    /// <summary>The mean hold of a permit, whatever its text: how fast the queue drains.</summary>
    public TimeSpan MeanHold { get { lock (_gate) return TimeSpan.FromTicks((long)_meanHold); } }

    /// <summary>A hold a request of <paramref name="chars"/> characters is unlikely to exceed.</summary>
    public TimeSpan Expected(int chars)
    {
        lock (_gate) return TimeSpan.FromTicks((long)((_meanPerUnit + 4 * _deviationPerUnit) * Units(chars)));
    }

    public void Observe(TimeSpan held, int chars)
    {
        var perUnit = held.Ticks / Units(chars);
        lock (_gate)
        {
            if (!_observed)
            {
                _observed = true;
                _meanHold = held.Ticks;
                _meanPerUnit = perUnit;
                return;
            }
            // (A mean of zero, from a first sample too short for the clock, bounds nothing.)
            var bounded = _meanPerUnit > 0 ? Math.Min(perUnit, MaxSampleOfMean * _meanPerUnit) : perUnit;
            _meanHold += ((_meanHold > 0 ? Math.Min(held.Ticks, MaxSampleOfMean * _meanHold) : held.Ticks) - _meanHold) / 8;
            _deviationPerUnit += (Math.Abs(bounded - _meanPerUnit) - _deviationPerUnit) / 4;
            _meanPerUnit += (bounded - _meanPerUnit) / 8;
        }
    }

    private static double Units(int chars) => Math.Max(1.0, chars / (double)UnitChars);
}

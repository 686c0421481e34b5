namespace Orleans.Tts.Bench;

/// <summary>A figure measured over several rounds: the best round, the median and the spread.</summary>
public sealed record Summary(double Best, double Median, double Min, double Max, IReadOnlyList<double> Rounds)
{
    /// <summary>Summarises per-round values; "best" is the highest when <paramref name="higherIsBetter"/>, else the lowest.</summary>
    public static Summary Of(IReadOnlyList<double> rounds, bool higherIsBetter)
    {
        var min = rounds.Min();
        var max = rounds.Max();
        return new Summary(higherIsBetter ? max : min, Stats.Percentile(rounds, 50), min, max, rounds.ToArray());
    }

    /// <summary>(max − min) / median, in percent.</summary>
    public double SpreadPercent => Median == 0 ? 0 : 100 * (Max - Min) / Median;
}

public static class Stats
{
    /// <summary>Percentile with linear interpolation between closest ranks (p in 0–100).</summary>
    public static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        if (sorted.Length == 0) return double.NaN;
        var rank = p / 100 * (sorted.Length - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Length - 1);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}

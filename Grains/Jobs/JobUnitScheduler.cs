using Orleans.Tts.Cluster;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// Which silo runs a job's next unit: the live silo (from Orleans membership, <see cref="ISiloDirectory"/>) with the fewest of
/// this job's units, at most <c>maxPerSilo</c> each, skipping silos that just said they are busy or did not answer. Silos
/// enforce their own limit across jobs; this keeps one job from queueing its whole text on one silo.
/// </summary>
public sealed class JobUnitScheduler(int maxPerSilo)
{
    private readonly Dictionary<string, int> _running = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _avoidUntil = new(StringComparer.Ordinal);

    public SiloGateway? Pick(IReadOnlyList<SiloGateway> silos, DateTimeOffset now)
    {
        SiloGateway? best = null;
        var fewest = int.MaxValue;
        foreach (var silo in silos)
        {
            if (_avoidUntil.TryGetValue(silo.Id, out var until) && until > now) continue;
            var running = _running.GetValueOrDefault(silo.Id);
            if (running >= maxPerSilo || running >= fewest) continue;
            (best, fewest) = (silo, running);
        }
        if (best is not null) _running[best.Id] = fewest + 1;
        return best;
    }

    public void Finished(string silo)
    {
        if (_running.TryGetValue(silo, out var running)) _running[silo] = Math.Max(0, running - 1);
    }

    public void Avoid(string silo, DateTimeOffset until) => _avoidUntil[silo] = until;
}

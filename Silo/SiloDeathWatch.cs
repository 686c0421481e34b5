using Orleans.Runtime;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Silo;

/// <summary>
/// Counts silos declared dead (<c>tts_silos_declared_dead_total</c>, the "silo declared dead" alert): a silo seen active in one
/// membership snapshot and dead in the next. A silo that stops on SIGTERM first marks itself shutting down and tells its peers at
/// once, so it passes through that state and is not counted; one that crashed, hung or lost its pod is voted dead while active.
/// Orleans itself has no metric for this.
/// </summary>
public sealed class SiloDeathWatch(IClusterMembershipService membership, TtsMetrics metrics, ILogger<SiloDeathWatch> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var last = new Dictionary<SiloAddress, SiloStatus>();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken))
            {
                foreach (var (silo, member) in snapshot.Members)
                {
                    if (member.Status == SiloStatus.Dead && last.TryGetValue(silo, out var before) && before is SiloStatus.Active or SiloStatus.Joining)
                    {
                        metrics.SiloDeclaredDead();
                        logger.LogWarning("Silo {Silo} ({Name}) was declared dead while {Status}", silo, member.Name, before);
                    }
                    last[silo] = member.Status;
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}

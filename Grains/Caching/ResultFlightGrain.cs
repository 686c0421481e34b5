using Orleans.Concurrency;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Tts.Caching;

namespace Orleans.Tts.Grains.Caching;

/// <summary>
/// <see cref="IResultFlightGrain"/>: holds who leads a key and wakes the waiters when it is done. Nothing is stored: a lost
/// activation (its silo died) fails its callers' calls, and they simply enter a new one. Placed on the first caller's silo, so a
/// leader usually reports to its own silo and dies with it.
/// </summary>
[Reentrant, PreferLocalPlacement]
public sealed class ResultFlightGrain(IClusterMembershipService membership) : Grain, IResultFlightGrain
{
    /// <summary>Longest one call waits (well inside the 30 s response timeout); the caller asks again.</summary>
    // A follower's call returns Wait after this and the follower calls again: no call outlives a second by much, so a caller can
    // tell a call lost with a killed silo from one that waits (ResultCache bounds each call).
    internal static readonly TimeSpan WaitSlice = TimeSpan.FromSeconds(1);

    /// <summary>How often a waiter looks at this silo's copy of the membership table for the leader's silo (no remote call).</summary>
    private static readonly TimeSpan LeaderCheck = TimeSpan.FromMilliseconds(250);

    private Guid _lead;
    private SiloAddress? _leaderSilo;
    private DateTime _leaseEnd;
    private TaskCompletionSource<bool> _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _waiting;

    public async Task<FlightTurn> EnterAsync(FlightCaller caller, CancellationToken cancellationToken)
    {
        var until = DateTime.UtcNow + WaitSlice;
        _waiting++;
        try
        {
            while (true)
            {
                if (_lead == Guid.Empty || _lead == caller.Lead)
                {
                    (_lead, _leaderSilo, _leaseEnd) = (caller.Lead, caller.Silo, DateTime.UtcNow + caller.Lease);
                    return FlightTurn.Lead;
                }
                if (LeaderGone())
                {
                    End(stored: false);
                    continue;
                }
                var left = until - DateTime.UtcNow;
                if (left <= TimeSpan.Zero) return FlightTurn.Wait;
                try
                {
                    if (await _done.Task.WaitAsync(left < LeaderCheck ? left : LeaderCheck, cancellationToken)) return FlightTurn.Ready;
                }
                catch (TimeoutException) { }
            }
        }
        finally
        {
            _waiting--;
        }
    }

    public Task DoneAsync(Guid lead, bool stored)
    {
        if (lead == _lead) End(stored);
        // Stored: later callers find the result in the shared cache. Not stored and nobody waiting: nothing left to hold.
        if (_lead == Guid.Empty && (stored || _waiting == 0)) DeactivateOnIdle();
        return Task.CompletedTask;
    }

    private bool LeaderGone() => DateTime.UtcNow > _leaseEnd
        || _leaderSilo is not null && membership.CurrentSnapshot.GetSiloStatus(_leaderSilo) == SiloStatus.Dead;

    /// <summary>Ends the lead; with <paramref name="stored"/> false the waiters wake and the first to run takes the lead.</summary>
    private void End(bool stored)
    {
        var done = _done;
        (_lead, _leaderSilo, _done) = (Guid.Empty, null, new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously));
        done.SetResult(stored);
    }
}

using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Tts.Admission;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Grains.Admission;

/// <summary>
/// The cluster's permit count (<see cref="IAdmissionGrain"/>): grants and returns, per holder and client. Nothing is stored: a
/// new activation asks each live silo's <see cref="IAdmissionHolderGrain"/> what it holds first. A frontend's permits granted by
/// an earlier activation are not known to a new one (it cannot ask a client): until they are given back the cluster may admit
/// that many more. Silos that Orleans declares dead lose their permits at the next call or the next tick of a one-second timer.
/// </summary>
[KeepAlive]
public sealed class AdmissionGrain(AdmissionOptions options, IClusterMembershipService membership, ILogger<AdmissionGrain> logger) : Grain, IAdmissionGrain
{
    private readonly Dictionary<string, Holder> _holders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byClient = new(StringComparer.Ordinal);
    private int _inUse;

    /// <param name="Silo">The holder's silo address when it is a silo (parsed once: every call checks the silos' status).</param>
    private sealed record Holder(SiloAddress? Silo, int Capacity, Dictionary<string, int> Holding);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // What the live silos hold now (this activation may replace one lost with its silo), and their capacities.
        await LearnSilosAsync(cancellationToken);
        this.RegisterGrainTimer(async ct =>
        {
            DropDeadSilos();
            await LearnSilosAsync(ct);
        }, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        logger.LogInformation("Admission grain active on {Silo}: limit {Limit}, {InUse} permits held by {Holders} holders", RuntimeIdentity, Limit, _inUse, _holders.Count);
    }

    /// <summary>Asks the active silos this activation has no record of what they hold and how many syntheses they run at once.</summary>
    private async Task LearnSilosAsync(CancellationToken cancellationToken)
    {
        var unknown = membership.CurrentSnapshot.Members.Values
            .Where(m => m.Status == SiloStatus.Active && !_holders.ContainsKey(m.SiloAddress.ToParsableString()))
            .Select(m => m.SiloAddress)
            .ToList();
        if (unknown.Count == 0) return;
        var answers = await Task.WhenAll(unknown.Select(async silo =>
        {
            try
            {
                return await GrainFactory.GetGrain<IAdmissionHolderGrain>(SynthesisGrainKey.Of(silo)).GetHoldingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogDebug("Silo {Silo} did not say what it holds ({Error}); asking again in a second", silo, e.Message);
                return (PermitClaim?)null;
            }
        }));
        // A silo's own call may have arrived meanwhile: its record is then newer than the answer.
        foreach (var claim in answers)
            if (claim is not null && !_holders.ContainsKey(claim.Holder)) Record(claim, claim.Holding ?? new Dictionary<string, int>());
    }

    public Task<PermitAnswer> AcquireAsync(PermitClaim claim)
    {
        DropDeadSilos();
        var holding = HolderOf(claim).Holding;
        var limit = Limit;
        var client = _byClient.GetValueOrDefault(claim.ClientId);
        if (_inUse >= limit || client >= options.ClientLimit(limit)) return Task.FromResult(new PermitAnswer(false, limit, _inUse, client));
        holding[claim.ClientId] = holding.GetValueOrDefault(claim.ClientId) + 1;
        _byClient[claim.ClientId] = client + 1;
        _inUse++;
        return Task.FromResult(new PermitAnswer(true, limit, _inUse, client + 1));
    }

    public Task<PermitAnswer> ReleaseAsync(PermitClaim claim)
    {
        DropDeadSilos();
        var holding = HolderOf(claim).Holding;
        // A permit this activation never granted (an earlier one did, to a frontend) is not counted: nothing to take back.
        if (holding.GetValueOrDefault(claim.ClientId) > 0)
        {
            if (--holding[claim.ClientId] == 0) holding.Remove(claim.ClientId);
            if (--_byClient[claim.ClientId] == 0) _byClient.Remove(claim.ClientId);
            _inUse--;
        }
        return Task.FromResult(new PermitAnswer(false, Limit, _inUse, _byClient.GetValueOrDefault(claim.ClientId)));
    }

    public Task ReportAsync(PermitClaim claim)
    {
        DropDeadSilos();
        // A silo Orleans declared dead stays forgotten, even if its report was still on the way.
        if (!claim.Silo || membership.CurrentSnapshot.Members.GetValueOrDefault(SiloAddress.FromParsableString(claim.Holder))?.Status != SiloStatus.Dead)
            Record(claim, claim.Holding ?? new Dictionary<string, int>());
        return Task.CompletedTask;
    }

    public Task<AdmissionSnapshot> GetSnapshotAsync()
    {
        DropDeadSilos();
        return Task.FromResult(new AdmissionSnapshot(Limit, _inUse, _holders.ToDictionary(h => h.Key, h => h.Value.Holding.Values.Sum())));
    }

    /// <summary>TTS_GLOBAL_MAX_INFLIGHT, else the capacities of the silos that have said theirs (at least 1).</summary>
    private int Limit => options.GlobalMaxInflight ?? Math.Max(1, _holders.Values.Where(h => h.Silo is not null).Sum(h => h.Capacity));

    /// <summary>The record of the claim's holder (new ones start empty; a silo's capacity counts from its first call).</summary>
    private Holder HolderOf(PermitClaim claim)
    {
        if (_holders.TryGetValue(claim.Holder, out var holder)) return holder;
        return Record(claim, new Dictionary<string, int>());
    }

    /// <summary>Replaces the record of the claim's holder with <paramref name="held"/>.</summary>
    private Holder Record(PermitClaim claim, IReadOnlyDictionary<string, int> held)
    {
        Forget(claim.Holder);
        var holding = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (client, count) in held)
        {
            if (count <= 0) continue;
            holding[client] = count;
            _byClient[client] = _byClient.GetValueOrDefault(client) + count;
            _inUse += count;
        }
        return _holders[claim.Holder] = new Holder(claim.Silo ? SiloAddress.FromParsableString(claim.Holder) : null, Math.Max(0, claim.Capacity), holding);
    }

    private void Forget(string holder)
    {
        if (!_holders.Remove(holder, out var old)) return;
        foreach (var (client, count) in old.Holding)
        {
            _inUse -= count;
            if ((_byClient[client] -= count) <= 0) _byClient.Remove(client);
        }
    }

    /// <summary>Silo holders that membership declares dead give back everything (a draining silo keeps what its work in flight holds).</summary>
    private void DropDeadSilos()
    {
        var members = membership.CurrentSnapshot.Members;
        List<string>? dead = null;
        foreach (var (key, holder) in _holders)
        {
            if (holder.Silo is null || !members.TryGetValue(holder.Silo, out var member) || member.Status != SiloStatus.Dead) continue;
            (dead ??= []).Add(key);
        }
        foreach (var key in dead ?? [])
        {
            logger.LogWarning("Silo {Silo} left the cluster: its {Permits} permits return", key, _holders[key].Holding.Values.Sum());
            Forget(key);
        }
    }
}

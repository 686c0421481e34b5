using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Runtime.Placement;
using Orleans.Tts.Admission;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Grains.Admission;

/// <summary>
/// The cluster's permit count (<see cref="IAdmissionGrain"/>). Its state is the holders' own record of what they hold, sent
/// with every call, so nothing is stored: a new activation asks each live silo's <see cref="IAdmissionHolderGrain"/> first. Silos
/// that Orleans declares dead lose their permits at the next call or at the next tick of a one-second timer.
/// </summary>
[KeepAlive]
public sealed class AdmissionGrain(AdmissionOptions options, IClusterMembershipService membership, ILogger<AdmissionGrain> logger) : Grain, IAdmissionGrain
{
    private readonly Dictionary<string, Holder> _holders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byClient = new(StringComparer.Ordinal);
    private int _inUse;

    private sealed record Holder(bool Silo, int Capacity, Dictionary<string, int> Holding);

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // What the live silos hold now: this activation may replace one lost with its silo.
        var silos = membership.CurrentSnapshot.Members.Values.Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress).ToList();
        var answers = await Task.WhenAll(silos.Select(async silo =>
        {
            try
            {
                RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
                return await GrainFactory.GetGrain<IAdmissionHolderGrain>(SynthesisGrainKey.Of(silo)).GetHoldingAsync().WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                logger.LogWarning("Silo {Silo} did not say what it holds ({Error}); it will at its next call", silo, e.Message);
                return null;
            }
            finally
            {
                RequestContext.Remove(IPlacementDirector.PlacementHintKey);
            }
        }));
        foreach (var claim in answers) if (claim is not null) Record(claim);
        this.RegisterGrainTimer(() => { DropDeadSilos(); return Task.CompletedTask; }, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1));
        logger.LogInformation("Admission grain active on {Silo}: limit {Limit}, {InUse} permits held by {Holders} holders", RuntimeIdentity, Limit, _inUse, _holders.Count);
    }

    public Task<PermitAnswer> AcquireAsync(PermitClaim claim)
    {
        DropDeadSilos();
        Record(claim);
        var limit = Limit;
        var client = _byClient.GetValueOrDefault(claim.ClientId);
        if (_inUse >= limit || client >= options.ClientLimit(limit)) return Task.FromResult(new PermitAnswer(false, limit, _inUse, client));
        var holding = _holders[claim.Holder].Holding;
        holding[claim.ClientId] = holding.GetValueOrDefault(claim.ClientId) + 1;
        _byClient[claim.ClientId] = client + 1;
        _inUse++;
        return Task.FromResult(new PermitAnswer(true, limit, _inUse, client + 1));
    }

    public Task<PermitAnswer> ReleaseAsync(PermitClaim claim)
    {
        DropDeadSilos();
        Record(claim);
        return Task.FromResult(new PermitAnswer(false, Limit, _inUse, _byClient.GetValueOrDefault(claim.ClientId)));
    }

    public Task<AdmissionSnapshot> GetSnapshotAsync()
    {
        DropDeadSilos();
        return Task.FromResult(new AdmissionSnapshot(Limit, _inUse, _holders.ToDictionary(h => h.Key, h => h.Value.Holding.Values.Sum())));
    }

    /// <summary>TTS_GLOBAL_MAX_INFLIGHT, else the capacities of the silos that have said theirs (at least 1).</summary>
    private int Limit => options.GlobalMaxInflight ?? Math.Max(1, _holders.Values.Where(h => h.Silo).Sum(h => h.Capacity));

    /// <summary>Replaces the record of the claim's holder with what it says it holds.</summary>
    private void Record(PermitClaim claim)
    {
        Forget(claim.Holder);
        var holding = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var (client, count) in claim.Holding)
        {
            if (count <= 0) continue;
            holding[client] = count;
            _byClient[client] = _byClient.GetValueOrDefault(client) + count;
            _inUse += count;
        }
        _holders[claim.Holder] = new Holder(claim.Silo, Math.Max(0, claim.Capacity), holding);
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
            if (!holder.Silo) continue;
            var address = SiloAddress.FromParsableString(key);
            if (!members.TryGetValue(address, out var member) || member.Status != SiloStatus.Dead) continue;
            (dead ??= []).Add(key);
        }
        foreach (var key in dead ?? [])
        {
            logger.LogWarning("Silo {Silo} left the cluster: its {Permits} permits return", key, _holders[key].Holding.Values.Sum());
            Forget(key);
        }
    }
}

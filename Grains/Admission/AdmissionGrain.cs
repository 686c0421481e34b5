using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Orleans.Runtime;
using Orleans.Tts.Admission;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Grains.Admission;

/// <summary>
/// The cluster's permit count (<see cref="IAdmissionGrain"/>): grants and returns, per holder and client. Nothing is stored: a
/// new activation asks each live silo's <see cref="IAdmissionHolderGrain"/> what it holds first, and frontends say at their next
/// report (every second). Silos that Orleans declares dead lose their permits at the next call or the next tick of a one-second
/// timer; a frontend not heard from for <see cref="FrontendSilence"/> (killed: it cannot be asked) loses them then.
/// Grants are leases: while a quarter of the limit stays free, a grant carries up to <see cref="MaxLease"/> more permits than asked
/// (an eighth of the limit, within the client's share), so a holder serves its clients' next requests without a call here.
/// Holders give unused permits back within a moment, at once when this activation had to refuse someone.
/// </summary>
[KeepAlive]
public sealed class AdmissionGrain(AdmissionOptions options, IClusterMembershipService membership, ILogger<AdmissionGrain> logger) : Grain, IAdmissionGrain
{
    private readonly Dictionary<string, Holder> _holders = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _byClient = new(StringComparer.Ordinal);
    private int _inUse;
    private long _refusedAt;

    /// <summary>A frontend silent this long is taken for dead: it reports every second.</summary>
    internal static readonly TimeSpan FrontendSilence = TimeSpan.FromSeconds(5);
    /// <summary>The most permits a grant carries beyond the one asked for.</summary>
    internal const int MaxLease = 8;
    // Bounds on what a caller may claim: any Orleans client can call this grain, and a record out of these bounds is a bug or
    // hostile, never a holder's real state.
    internal const int MaxIdLength = 256, MaxCapacity = 4096, MaxClientsPerHolder = 4096, MaxCallsOnTheWay = 65_536;
    /// <summary>Numbered grants and returns kept per holder between its reports (a holder reports every second).</summary>
    internal const int MaxLog = 65_536;

    /// <param name="Silo">The holder's silo address when it is a silo (parsed once: every call checks the silos' status).</param>
    /// <param name="HeardAt">When the holder last called (frontends are forgotten after <see cref="FrontendSilence"/> of silence).</param>
    /// <param name="Log">
    /// Numbered grants (+) and returns (−, 0 for one the holder's report already reflected) applied since the holder's last
    /// report, and older ones its report said were still on the way: what its next report cannot have counted.
    /// </param>
    /// <param name="Reflected">Returns the holder's report already subtracted that have not arrived yet: not subtracted again.</param>
    /// <param name="Through">The number of the newest report applied: an older one, overtaken on the way, is stale.</param>
    private sealed record Holder(SiloAddress? Silo, int Capacity, Dictionary<string, int> Holding)
    {
        public long HeardAt { get; set; } = System.Diagnostics.Stopwatch.GetTimestamp();
        public List<(long Seq, string Client, int Delta)> Log { get; set; } = [];
        public HashSet<long> Reflected { get; set; } = [];
        public long Through { get; set; } = -1;

        public void Logged(long seq, string client, int delta)
        {
            if (seq <= 0) return;
            if (Log.Count >= MaxLog) Log.RemoveRange(0, Log.Count - MaxLog + 1);
            Log.Add((seq, client, delta));
        }
    }

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // What the live silos hold now (this activation may replace one lost with its silo), and their capacities.
        await LearnSilosAsync(cancellationToken);
        this.RegisterGrainTimer(async ct =>
        {
            DropDeadSilos();
            DropSilentFrontends();
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
        // A silo's own calls may have arrived meanwhile: they count on top of the answer as they would on top of a report.
        foreach (var claim in answers)
            if (claim is not null) Reconcile(claim);
    }

    public Task<PermitAnswer> AcquireAsync(PermitClaim claim)
    {
        Validate(claim);
        DropDeadSilos();
        var holder = HolderOf(claim);
        var holding = holder.Holding;
        var limit = Limit;
        var clientLimit = options.ClientLimit(limit);
        var client = _byClient.GetValueOrDefault(claim.ClientId);
        if (_inUse >= limit || client >= clientLimit)
        {
            _refusedAt = System.Diagnostics.Stopwatch.GetTimestamp();
            return Task.FromResult(new PermitAnswer(false, limit, _inUse, client, 0, Pressure: true));
        }
        // The lease: more permits only while a quarter of the limit stays free for others, and within the client's share.
        var lease = Pressure ? 0 : Math.Clamp(Math.Min(Math.Min(limit / 8, MaxLease), Math.Min(limit - limit / 4 - _inUse - 1, clientLimit - client - 1)), 0, MaxLease);
        var granted = 1 + lease;
        holder.Logged(claim.Seq, claim.ClientId, granted);
        holding[claim.ClientId] = holding.GetValueOrDefault(claim.ClientId) + granted;
        _byClient[claim.ClientId] = client + granted;
        _inUse += granted;
        return Task.FromResult(new PermitAnswer(true, limit, _inUse, client + granted, granted, Pressure));
    }

    public Task<PermitAnswer> ReleaseAsync(PermitClaim claim)
    {
        Validate(claim);
        DropDeadSilos();
        var holder = HolderOf(claim);
        var holding = holder.Holding;
        // Permits this activation never granted (an earlier one did, and the holder has not reported since) are not counted:
        // nothing to take back. Nor are those the holder's report already left out while this call was on the way.
        var count = holder.Reflected.Remove(claim.Seq) ? 0 : Math.Min(Math.Max(1, claim.Count), holding.GetValueOrDefault(claim.ClientId));
        holder.Logged(claim.Seq, claim.ClientId, -count);
        if (count > 0)
        {
            if ((holding[claim.ClientId] -= count) == 0) holding.Remove(claim.ClientId);
            if ((_byClient[claim.ClientId] -= count) == 0) _byClient.Remove(claim.ClientId);
            _inUse -= count;
        }
        return Task.FromResult(new PermitAnswer(false, Limit, _inUse, _byClient.GetValueOrDefault(claim.ClientId), 0, Pressure));
    }

    public Task<PermitAnswer> ReportAsync(PermitClaim claim)
    {
        Validate(claim);
        DropDeadSilos();
        // A silo Orleans declared dead stays forgotten, even if its report was still on the way.
        if (!claim.Silo || membership.CurrentSnapshot.Members.GetValueOrDefault(SiloAddress.FromParsableString(claim.Holder))?.Status != SiloStatus.Dead)
            Reconcile(claim);
        return Task.FromResult(new PermitAnswer(false, Limit, _inUse, 0, 0, Pressure));
    }

    /// <summary>Someone was refused within the last second: no leases, and holders give back what they keep unused.</summary>
    private bool Pressure => _refusedAt != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(_refusedAt) < TimeSpan.FromSeconds(1);

    /// <summary>
    /// Refuses a claim no holder of this service makes (<see cref="ArgumentException"/>, to the caller): ids empty or longer than
    /// <see cref="MaxIdLength"/>, a capacity or count out of range, a silo address that does not parse, more than
    /// <see cref="MaxClientsPerHolder"/> clients, or negative holdings.
    /// </summary>
    private static void Validate(PermitClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        if (string.IsNullOrEmpty(claim.Holder) || claim.Holder.Length > MaxIdLength)
            throw new ArgumentException($"A holder id has 1 to {MaxIdLength} characters.", nameof(claim));
        if (claim.ClientId is null || claim.ClientId.Length > MaxIdLength)
            throw new ArgumentException($"A client id has at most {MaxIdLength} characters.", nameof(claim));
        if (claim.Capacity is < 0 or > MaxCapacity || claim.Count is < 0 or > MaxCapacity)
            throw new ArgumentException($"A holder's capacity and a count of permits are 0 to {MaxCapacity}.", nameof(claim));
        if (claim.Seq < 0 || claim.Granting?.Count > MaxCallsOnTheWay || claim.Releasing?.Count > MaxCallsOnTheWay
            || claim.Granting?.Any(n => n <= 0 || n > claim.Seq) == true || claim.Releasing?.Any(n => n <= 0 || n > claim.Seq) == true)
            throw new ArgumentException($"A call's number is not negative; at most {MaxCallsOnTheWay} calls on the way, each numbered 1 to the claim's number.", nameof(claim));
        if (claim.Silo && !SiloAddressParses(claim.Holder))
            throw new ArgumentException("A silo holder's id is its parsable silo address.", nameof(claim));
        if (claim.Holding is { } holding && (holding.Count > MaxClientsPerHolder || holding.Any(h => h.Value is < 0 or > MaxCapacity || h.Key is null || h.Key.Length > MaxIdLength)))
            throw new ArgumentException($"Holdings name at most {MaxClientsPerHolder} clients, each holding 0 to {MaxCapacity} permits.", nameof(claim));
    }

    private static bool SiloAddressParses(string holder)
    {
        try { return SiloAddress.FromParsableString(holder) is not null; }
        catch (Exception e) when (e is FormatException or ArgumentException or IndexOutOfRangeException or OverflowException) { return false; }
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
        if (!_holders.TryGetValue(claim.Holder, out var holder)) return Record(claim, new Dictionary<string, int>());
        holder.HeardAt = System.Diagnostics.Stopwatch.GetTimestamp();
        return holder;
    }

    /// <summary>
    /// Replaces the record of the claim's holder with its holdings (a report, or its answer to a new activation), plus what
    /// they cannot reflect: grants and returns numbered after the snapshot, and grants whose answer had not reached the holder.
    /// Returns numbered before it that have not arrived are remembered so as not to be subtracted twice. A snapshot older than
    /// the last one applied changes nothing.
    /// </summary>
    private void Reconcile(PermitClaim claim)
    {
        var old = _holders.GetValueOrDefault(claim.Holder);
        if (old is not null && claim.Seq < old.Through) return;
        var held = new Dictionary<string, int>(claim.Holding ?? new Dictionary<string, int>(), StringComparer.Ordinal);
        var granting = claim.Granting is { Count: > 0 } g ? g.ToHashSet() : null;
        // Returns the report lists as still on the way; those not in the log (not arrived yet) are left at the end.
        var releasing = claim.Releasing is { Count: > 0 } r ? r.ToHashSet() : [];
        List<(long, string, int)> log = [];
        foreach (var (seq, client, delta) in old?.Log ?? [])
        {
            var unseen = seq > claim.Seq || delta > 0 && granting?.Contains(seq) == true;
            if (unseen) held[client] = held.GetValueOrDefault(client) + delta;
            // Returns still on the way stay logged: they arrived, so the holder's next report needs no guard against them.
            if (unseen || delta <= 0 && releasing.Remove(seq)) log.Add((seq, client, delta));
        }
        var holder = Record(claim, held);
        holder.Log = log;
        holder.Reflected = releasing;
        holder.Through = claim.Seq;
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
        var silo = claim.Silo ? SiloAddress.FromParsableString(claim.Holder) : null;
        // Only a member's capacity counts toward the default limit: a claim naming no silo of the cluster cannot raise it.
        var capacity = silo is null || membership.CurrentSnapshot.Members.ContainsKey(silo) ? claim.Capacity : 0;
        return _holders[claim.Holder] = new Holder(silo, capacity, holding);
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

    /// <summary>Frontends that stopped reporting (killed) give back everything; a live one's next report restores its record.</summary>
    private void DropSilentFrontends()
    {
        List<string>? silent = null;
        foreach (var (key, holder) in _holders)
            if (holder.Silo is null && System.Diagnostics.Stopwatch.GetElapsedTime(holder.HeardAt) > FrontendSilence) (silent ??= []).Add(key);
        foreach (var key in silent ?? [])
        {
            logger.LogWarning("Frontend {Frontend} has not reported for {Seconds} s: its {Permits} permits return", key, FrontendSilence.TotalSeconds, _holders[key].Holding.Values.Sum());
            Forget(key);
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

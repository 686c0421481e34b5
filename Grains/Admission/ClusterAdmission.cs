using Microsoft.Extensions.Logging;
using Orleans.Tts.Admission;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Admission;

/// <summary>
/// A process's admission in an Orleans cluster: its requests queue here (<see cref="AdmissionGrainBase"/>) and each permit is
/// granted by the cluster's <see cref="IAdmissionGrain"/>. A permit given back while requests of the same client wait here is
/// kept for them for a moment instead of going back and forth. When the admission grain cannot be reached, this process admits
/// against its own capacity (<c>X-Tts-Degraded: local-admission</c>) until it can.
/// </summary>
public sealed class ClusterAdmission : AdmissionGrainBase
{
    private static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(50);
    private readonly IGrainFactory _grains;
    private readonly AdmissionHolder _holder;
    private readonly InMemoryAdmissionGrain _local;
    private readonly ILogger<ClusterAdmission> _logger;
    private readonly Lock _gate = new();
    // Per client: permits held from the grain (in use or lingering), and those lingering for a waiter of the same client.
    private readonly Dictionary<string, int> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _spare = new(StringComparer.Ordinal);
    private volatile bool _degraded;

    public ClusterAdmission(IGrainFactory grains, AdmissionHolder holder, AdmissionOptions options, ClusterLoad load, ILogger<ClusterAdmission> logger,
        TtsMetrics? metrics = null) : base(options, load, metrics)
    {
        _grains = grains;
        _holder = holder;
        _logger = logger;
        _local = new InMemoryAdmissionGrain(new AdmissionOptions { LocalCapacity = Math.Max(1, holder.Capacity), ClientMaxShare = options.ClientMaxShare },
            new ClusterLoad(), AdmissionBackends.LocalFallback);
        holder.Attach(this);
    }

    protected override string Backend => _degraded ? AdmissionBackends.LocalFallback : AdmissionBackends.Orleans;
    protected override string? DegradationOf(object handle) => handle is LocalPermit ? "local-admission" : null;

    private sealed record GrainPermit(string ClientId);
    private sealed record LocalPermit(object Handle);

    private IAdmissionGrain Grain => _grains.GetGrain<IAdmissionGrain>(0);

    /// <summary>What this process holds from the grain now, per client (for a new activation of the grain).</summary>
    public PermitClaim Holding()
    {
        lock (_gate) return new PermitClaim(_holder.Id, _holder.IsSilo, _holder.Capacity, "", new Dictionary<string, int>(_held));
    }

    protected override async ValueTask<Attempt> TryAcquireAsync(string clientId, CancellationToken ct)
    {
        lock (_gate)
        {
            if (_spare.GetValueOrDefault(clientId) > 0)
            {
                Decrement(_spare, clientId);
                return new Attempt(new GrainPermit(clientId), 0, 0, _held.GetValueOrDefault(clientId));
            }
        }
        var call = Grain.AcquireAsync(new PermitClaim(_holder.Id, _holder.IsSilo, _holder.Capacity, clientId));
        try
        {
            PermitAnswer answer;
            try
            {
                answer = await call.WaitAsync(ct);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                // The caller left, but the grain may still grant: a permit granted to nobody is given straight back, or the
                // cluster's limit would shrink by one for good.
                _ = call.ContinueWith(async t =>
                {
                    if (!t.IsCompletedSuccessfully || !t.Result.Granted) return;
                    lock (_gate) Increment(_held, clientId);
                    await GiveBackAsync(clientId);
                }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
                throw;
            }
            if (answer.Granted) lock (_gate) Increment(_held, clientId);
            if (_degraded) _logger.LogInformation("The admission grain answers again; permits are the cluster's again");
            _degraded = false;
            Observed(answer.Limit, answer.InUse);
            return new Attempt(answer.Granted ? new GrainPermit(clientId) : null, answer.Limit, answer.InUse, answer.ClientInUse);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            if (!_degraded) _logger.LogWarning("The admission grain did not answer ({Error}); admitting against this process's capacity", e.GetBaseException().Message);
            _degraded = true;
            var local = await _local.TryAcquireForFallbackAsync(clientId, ct);
            return local.Handle is null ? local : local with { Handle = new LocalPermit(local.Handle) };
        }
    }

    protected override async ValueTask ReleaseAsync(object handle)
    {
        if (handle is LocalPermit local)
        {
            await _local.ReleaseForFallbackAsync(local.Handle);
            return;
        }
        var clientId = ((GrainPermit)handle).ClientId;
        if (FirstWaiterIs(clientId))
        {
            // The next in line here is the same client: the permit lingers for it (no round trip); the base class wakes it.
            // Any other client's waiter needs the permit back at the grain first: lingering, it waited for the next poll.
            lock (_gate) Increment(_spare, clientId);
            _ = ReturnSpareLaterAsync(clientId);
            return;
        }
        await GiveBackAsync(clientId);
    }

    private async Task ReturnSpareLaterAsync(string clientId)
    {
        await Task.Delay(Linger);
        bool unused;
        lock (_gate)
        {
            unused = _spare.GetValueOrDefault(clientId) > 0;
            if (unused) Decrement(_spare, clientId);
        }
        if (unused) await GiveBackAsync(clientId);
    }

    private async Task GiveBackAsync(string clientId)
    {
        lock (_gate) Decrement(_held, clientId);
        try
        {
            var answer = await Grain.ReleaseAsync(new PermitClaim(_holder.Id, _holder.IsSilo, _holder.Capacity, clientId));
            Observed(answer.Limit, answer.InUse);
        }
        catch (Exception e)
        {
            // Lost with the grain's silo: a new activation asks this silo what it holds, which no longer includes this permit.
            _logger.LogDebug(e, "Permit of {Client} not given back to the admission grain", clientId);
        }
        Pulse();
    }

    private static void Increment(Dictionary<string, int> counts, string key) => counts[key] = counts.GetValueOrDefault(key) + 1;

    private static void Decrement(Dictionary<string, int> counts, string key)
    {
        if (counts.GetValueOrDefault(key) <= 1) counts.Remove(key);
        else counts[key]--;
    }

}

/// <summary>Who holds this process's permits: its silo address, or a frontend's id (<see cref="IsSilo"/> false).</summary>
public sealed class AdmissionHolder(string id, bool isSilo, int capacity)
{
    private ClusterAdmission? _admission;
    public string Id { get; } = id;
    public bool IsSilo { get; } = isSilo;
    public int Capacity { get; } = capacity;

    internal void Attach(ClusterAdmission admission) => _admission = admission;

    /// <summary>What this process holds, for the admission grain (nothing before its admission started).</summary>
    public PermitClaim Holding() => _admission?.Holding() ?? new PermitClaim(Id, IsSilo, Capacity, "", new Dictionary<string, int>());
}

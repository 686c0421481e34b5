using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
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
    private static readonly TimeSpan GrainAnswerTimeout = TimeSpan.FromSeconds(1);
    // Calls to the grain while it is out of reach (its silo killed, not yet declared dead) each cost up to a second (Orleans
    // retries the placement): after a few failures they stop for half a second at a time and requests admit locally at once.
    private readonly ResiliencePipeline _grain = new ResiliencePipelineBuilder()
        .AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => e is not OperationCanceledException),
            FailureRatio = 0.5,
            MinimumThroughput = 2,
            SamplingDuration = TimeSpan.FromSeconds(2),
            BreakDuration = TimeSpan.FromMilliseconds(500), // Polly's shortest
        })
        .Build();
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
        // A frontend has no workers of its own: while the grain is out of reach (its silo was killed and is not yet declared
        // dead) it admits up to the cluster's limit it last saw, not one request at a time. The silos' own bounded pools still
        // refuse what they cannot run.
        _local = new InMemoryAdmissionGrain(new AdmissionOptions { LocalCapacity = Math.Max(1, holder.Capacity), ClientMaxShare = options.ClientMaxShare },
            new ClusterLoad(), AdmissionBackends.LocalFallback, capacity: holder.IsSilo ? null : () => Math.Max(1, LastLimit));
        holder.Attach(this);
    }

    protected override string Backend => _degraded ? AdmissionBackends.LocalFallback : AdmissionBackends.Orleans;
    protected override string? DegradationOf(object handle) => handle is LocalPermit ? "local-admission" : null;

    private sealed record GrainPermit(string ClientId);
    private sealed record LocalPermit(object Handle);

    private IAdmissionGrain Grain => _grains.GetGrain<IAdmissionGrain>(0);

    /// <summary>Tells the grain what this process holds (<see cref="IAdmissionGrain.ReportAsync"/>); not while it is out of reach.</summary>
    public async Task ReportAsync(CancellationToken cancellationToken)
    {
        if (_degraded) return;
        try { await Grain.ReportAsync(Holding()).WaitAsync(GrainAnswerTimeout, cancellationToken); }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger.LogDebug("Holdings not reported to the admission grain ({Error})", e.GetBaseException().Message);
        }
    }

    /// <summary>What this process holds from the grain now, per client (for a new activation of the grain, and every report).</summary>
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
        try
        {
            var answer = await _grain.ExecuteAsync(token => AcquireFromGrainAsync(clientId, token), ct);
            if (_degraded) _logger.LogInformation("The admission grain answers again; permits are the cluster's again");
            _degraded = false;
            Observed(answer.Limit, answer.InUse);
            return new Attempt(answer.Granted ? new GrainPermit(clientId) : null, answer.Limit, answer.InUse, answer.ClientInUse);
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            if (!_degraded) _logger.LogWarning("The admission grain did not answer ({Error}); admitting locally, up to {Limit} at once", e.GetBaseException().Message, _local.Limit);
            _degraded = true;
            var local = await _local.TryAcquireForFallbackAsync(clientId, ct);
            return local.Handle is null ? local : local with { Handle = new LocalPermit(local.Handle) };
        }
    }

    /// <summary>One permit from the grain, counted in <c>_held</c> when granted.</summary>
    private async ValueTask<PermitAnswer> AcquireFromGrainAsync(string clientId, CancellationToken ct)
    {
        var call = Grain.AcquireAsync(new PermitClaim(_holder.Id, _holder.IsSilo, _holder.Capacity, clientId));
        PermitAnswer answer;
        try
        {
            answer = await call.WaitAsync(GrainAnswerTimeout, ct);
        }
        catch (Exception e) when (e is TimeoutException || e is OperationCanceledException && ct.IsCancellationRequested)
        {
            // The caller left, or the grain did not answer in time (a call in flight to a silo that was just killed waits for
            // Orleans' response timeout). The grain may still grant: a permit granted to nobody is given straight back, or the
            // cluster's limit would shrink by one until the next report.
            _ = call.ContinueWith(async t =>
            {
                if (!t.IsCompletedSuccessfully || !t.Result.Granted) return;
                lock (_gate) Increment(_held, clientId);
                await GiveBackAsync(clientId);
            }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            throw;
        }
        if (answer.Granted) lock (_gate) Increment(_held, clientId);
        return answer;
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
            var answer = await _grain.ExecuteAsync(async token =>
                await Grain.ReleaseAsync(new PermitClaim(_holder.Id, _holder.IsSilo, _holder.Capacity, clientId)).WaitAsync(GrainAnswerTimeout, token));
            Observed(answer.Limit, answer.InUse);
        }
        catch (Exception e)
        {
            // Out of reach (its silo was killed): this process's next report, or a new activation asking it, has the holdings
            // without this permit.
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

/// <summary>Reports this process's holdings to the admission grain every second (<see cref="ClusterAdmission.ReportAsync"/>).</summary>
public sealed class AdmissionReporter(ClusterAdmission admission) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1));
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken)) await admission.ReportAsync(stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }
}

using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;
using Orleans.Tts.Admission;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Admission;

/// <summary>
/// A process's admission in an Orleans cluster: its requests queue here (<see cref="AdmissionGrainBase"/>) and permits come from the
/// cluster's <see cref="IAdmissionGrain"/> as leases. A permit a client gives back, and any the grain leased with a grant, stay here
/// for that client's next requests for <see cref="AdmissionOptions.LeaseLinger"/>; then (at once when the grain reports pressure, or another client waits
/// here) they go back in one call. Steady traffic is thus admitted here without a call to the grain, and the grain still counts
/// every permit kept, so the cluster's limit and each client's share hold at every instant. When the grain cannot be reached,
/// this process admits against its own capacity (<c>X-Tts-Degraded: local-admission</c>) until it can.
/// </summary>
public sealed class ClusterAdmission : AdmissionGrainBase, IDisposable
{
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
    // Per client: permits held from the grain (in use or spare), and the spare ones with when they last became spare.
    private readonly Dictionary<string, int> _held = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (int Count, long Since)> _spare = new(StringComparer.Ordinal);
    // Calls to the grain are numbered, so that a report taken while some were on the way lets the grain count each exactly
    // once (IAdmissionGrain.ReportAsync): acquires whose answer is not applied here yet, and releases not answered yet.
    private long _seq;
    private readonly HashSet<long> _granting = [];
    private readonly HashSet<long> _releasing = [];
    private readonly ITimer _sweep;
    private int _sweeping;
    private volatile bool _degraded;
    private volatile bool _pressure;
    private long _grainCalls;

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
        var period = options.LeaseLinger > TimeSpan.Zero ? options.LeaseLinger / 2 : TimeSpan.FromMilliseconds(100);
        _sweep = TimeProvider.System.CreateTimer(_ => _ = SweepAsync(), null, period, period);
    }

    protected override string Backend => _degraded ? AdmissionBackends.LocalFallback : AdmissionBackends.Orleans;
    protected override string? DegradationOf(object handle) => handle is LocalPermit ? "local-admission" : null;

    /// <summary>Calls this process made to the admission grain (acquire, release, report).</summary>
    public long GrainCalls => Interlocked.Read(ref _grainCalls);

    private sealed record GrainPermit(string ClientId);
    private sealed record LocalPermit(object Handle);

    private IAdmissionGrain Grain
    {
        get
        {
            Interlocked.Increment(ref _grainCalls);
            return _grains.GetGrain<IAdmissionGrain>(0);
        }
    }

    /// <summary>Tells the grain what this process holds (<see cref="IAdmissionGrain.ReportAsync"/>), and learns whether it is short of permits.</summary>
    public async Task ReportAsync(CancellationToken cancellationToken)
    {
        try
        {
            var answer = await Grain.ReportAsync(Holding()).WaitAsync(Options.GrainAnswerTimeout, cancellationToken);
            Learn(answer);
        }
        catch (Exception e) when (e is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            _logger.LogDebug("Holdings not reported to the admission grain ({Error})", e.GetBaseException().Message);
        }
    }

    /// <summary>What this process holds from the grain now, per client, spare permits included (for a new activation of the grain, and every report).</summary>
    public PermitClaim Holding()
    {
        lock (_gate)
            return new PermitClaim(_holder.Id, _holder.IsSilo, _holder.Capacity, "", new Dictionary<string, int>(_held), Seq: _seq,
                Granting: [.. _granting], Releasing: [.. _releasing]);
    }

    /// <summary>Permits held here unused, all clients together.</summary>
    public int Spare
    {
        get { lock (_gate) return _spare.Values.Sum(s => s.Count); }
    }

    protected override int IdleHere => Spare;

    protected override async ValueTask<Attempt> TryAcquireAsync(string clientId, CancellationToken ct)
    {
        lock (_gate)
        {
            if (TakeSpare(clientId)) return new Attempt(new GrainPermit(clientId), LastLimit, LastInUse, _held.GetValueOrDefault(clientId));
        }
        try
        {
            var answer = await _grain.ExecuteAsync(token => AcquireFromGrainAsync(clientId, token), ct);
            if (_degraded) _logger.LogInformation("The admission grain answers again; permits are the cluster's again");
            _degraded = false;
            Learn(answer);
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

    /// <summary>Permits from the grain, counted in <c>_held</c> when granted; those beyond the first are spare.</summary>
    private async ValueTask<PermitAnswer> AcquireFromGrainAsync(string clientId, CancellationToken ct)
    {
        long seq;
        lock (_gate) _granting.Add(seq = ++_seq);
        var call = Grain.AcquireAsync(new PermitClaim(_holder.Id, _holder.IsSilo, _holder.Capacity, clientId, Seq: seq));
        // An acquire that failed (its answer lost) no longer counts as on the way: the grain drops its grant, if any, at the next report.
        _ = call.ContinueWith(t => { lock (_gate) _granting.Remove(seq); }, CancellationToken.None, TaskContinuationOptions.NotOnRanToCompletion, TaskScheduler.Default);
        PermitAnswer answer;
        try
        {
            answer = await call.WaitAsync(Options.GrainAnswerTimeout, ct);
        }
        catch (Exception e) when (e is TimeoutException || e is OperationCanceledException && ct.IsCancellationRequested)
        {
            // The caller left, or the grain did not answer in time (a call in flight to a silo that was just killed waits for
            // Orleans' response timeout). The grain may still grant: permits granted to nobody are given straight back, or the
            // cluster's limit would shrink by them until the next report.
            _ = call.ContinueWith(async t =>
            {
                if (!t.IsCompletedSuccessfully) return;
                var count = Math.Max(1, t.Result.Count);
                lock (_gate)
                {
                    _granting.Remove(seq);
                    if (!t.Result.Granted) return;
                    AddHeld(clientId, count);
                }
                await GiveBackAsync(clientId, count);
            }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default).Unwrap();
            throw;
        }
        lock (_gate)
        {
            _granting.Remove(seq);
            if (answer.Granted)
            {
                var count = Math.Max(1, answer.Count);
                AddHeld(clientId, count);
                if (count > 1) AddSpare(clientId, count - 1);
            }
        }
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
        // The permit stays for this client's next request (the base class wakes its waiter, if it is first here); it goes back
        // now when another client waits here or the cluster is short, since only the grain can hand it to them.
        if (FirstWaiterIs(clientId) || !_pressure && !Waiting && Options.LeaseLinger > TimeSpan.Zero)
        {
            lock (_gate) AddSpare(clientId, 1);
            return;
        }
        await GiveBackAsync(clientId, 1);
    }

    /// <summary>Gives back, one call per client, the spare permits that lingered long enough (all of them under pressure or when others wait).</summary>
    private async Task SweepAsync()
    {
        if (Interlocked.Exchange(ref _sweeping, 1) == 1) return;
        try
        {
            List<(string Client, int Count)>? due = null;
            var all = _pressure || Waiting || Options.LeaseLinger <= TimeSpan.Zero;
            lock (_gate)
            {
                foreach (var (client, spare) in _spare)
                    if (all || System.Diagnostics.Stopwatch.GetElapsedTime(spare.Since) >= Options.LeaseLinger) (due ??= []).Add((client, spare.Count));
                foreach (var (client, _) in due ?? []) _spare.Remove(client);
            }
            foreach (var (client, count) in due ?? []) await GiveBackAsync(client, count);
        }
        catch (Exception e)
        {
            _logger.LogWarning(e, "Spare permits not given back; the next report corrects the grain's count");
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    private async Task GiveBackAsync(string clientId, int count)
    {
        long seq;
        lock (_gate)
        {
            AddHeld(clientId, -count);
            _releasing.Add(seq = ++_seq);
        }
        var sent = false;
        try
        {
            var answer = await _grain.ExecuteAsync(async token =>
            {
                sent = true;
                var call = Grain.ReleaseAsync(new PermitClaim(_holder.Id, _holder.IsSilo, _holder.Capacity, clientId, Count: count, Seq: seq));
                // On the way until Orleans itself answers or gives up, even after this process stopped waiting for it.
                _ = call.ContinueWith(_ => { lock (_gate) _releasing.Remove(seq); }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
                return await call.WaitAsync(Options.GrainAnswerTimeout, token);
            });
            Learn(answer);
        }
        catch (Exception e)
        {
            // Out of reach (its silo was killed): this process's next report, or a new activation asking it, has the holdings
            // without these permits.
            _logger.LogDebug(e, "{Count} permits of {Client} not given back to the admission grain", count, clientId);
            if (!sent) lock (_gate) _releasing.Remove(seq);
        }
        Pulse();
    }

    private void Learn(PermitAnswer answer)
    {
        Observed(answer.Limit, answer.InUse);
        _pressure = answer.Pressure;
        // Someone was refused (perhaps this process, just now): what is kept unused here goes back at once.
        if (answer.Pressure && Spare > 0) _ = SweepAsync();
    }

    /// <summary>Counts <paramref name="delta"/> more (or fewer) permits of the client held from the grain; call under <c>_gate</c>.</summary>
    private void AddHeld(string clientId, int delta)
    {
        var held = _held.GetValueOrDefault(clientId) + delta;
        if (held <= 0) _held.Remove(clientId);
        else _held[clientId] = held;
    }

    private bool TakeSpare(string clientId)
    {
        if (!_spare.TryGetValue(clientId, out var spare)) return false;
        if (spare.Count <= 1) _spare.Remove(clientId);
        else _spare[clientId] = spare with { Count = spare.Count - 1 };
        return true;
    }

    private void AddSpare(string clientId, int count) =>
        _spare[clientId] = (_spare.GetValueOrDefault(clientId).Count + count, System.Diagnostics.Stopwatch.GetTimestamp());

    public void Dispose() => _sweep.Dispose();
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

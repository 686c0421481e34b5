using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Grains.Admission;

/// <summary>Admission within one process: the embedded default, and the local fallback while the admission grain is unreachable.</summary>
/// <param name="capacity">The limit when no global one is configured, read at every attempt; null = <see cref="AdmissionOptions.LocalCapacity"/>.</param>
/// <param name="time">The clock of the queue's deadlines and the hold times (tests move it by hand).</param>
public sealed class InMemoryAdmissionGrain(AdmissionOptions options, ClusterLoad load, string backend = "memory", TtsMetrics? metrics = null, Func<int>? capacity = null,
    TimeProvider? time = null)
    : AdmissionGrainBase(options, load, metrics, time)
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, int> _byClient = new(StringComparer.Ordinal);
    private int _inUse;

    public int Limit => Options.GlobalMaxInflight ?? capacity?.Invoke() ?? Options.LocalCapacity;
    protected override string Backend => backend;

    protected override ValueTask<Attempt> TryAcquireAsync(string clientId, CancellationToken ct)
    {
        lock (_gate)
        {
            var limit = Limit;
            var client = _byClient.GetValueOrDefault(clientId);
            if (_inUse < limit && client < Options.ClientLimit(limit))
            {
                _inUse++;
                _byClient[clientId] = client + 1;
                Observed(limit, _inUse);
                return ValueTask.FromResult(new Attempt(new Handle(clientId), limit, _inUse, client + 1));
            }
            Observed(limit, _inUse);
            return ValueTask.FromResult(new Attempt(null, limit, _inUse, client));
        }
    }

    protected override ValueTask ReleaseAsync(object handle)
    {
        var clientId = ((Handle)handle).ClientId;
        lock (_gate)
        {
            _inUse--;
            if (_byClient[clientId] == 1) _byClient.Remove(clientId);
            else _byClient[clientId]--;
            Observed(Limit, _inUse);
        }
        return ValueTask.CompletedTask;
    }

    internal ValueTask<Attempt> TryAcquireForFallbackAsync(string clientId, CancellationToken ct) => TryAcquireAsync(clientId, ct);
    internal ValueTask ReleaseForFallbackAsync(object handle) => ReleaseAsync(handle);

    /// <summary>Permits in use now (tests).</summary>
    public int InUse { get { lock (_gate) return _inUse; } }

    private sealed record Handle(string ClientId);
}

namespace Orleans.Tts.Admission;

/// <summary>
/// Enforces the cluster-wide concurrency limit and decides degradations (long text,
/// fallback voice). Implemented in memory for the embedded default and over PostgreSQL
/// leases for a cluster (issue 4).
/// </summary>
public interface IAdmissionGrain
{
    /// <summary>Waits (up to <see cref="AdmissionRequest.MaxWait"/>) for a permit, or throws <see cref="AdmissionRejectedException"/>.</summary>
    ValueTask<AdmissionPermit> AcquireAsync(AdmissionRequest request, CancellationToken cancellationToken = default);
}

/// <param name="ClientId">API key id or remote address.</param>
/// <param name="VoiceId">Requested voice.</param>
/// <param name="TextLength">Characters of input.</param>
/// <param name="MaxWait">How long the caller may wait in the queue.</param>
public sealed record AdmissionRequest(string ClientId, string VoiceId, int TextLength, TimeSpan MaxWait);

/// <summary>A granted permit; disposing it gives the permit back.</summary>
public abstract class AdmissionPermit : IAsyncDisposable
{
    /// <summary>The voice to use (may be a cheaper fallback).</summary>
    public abstract string VoiceId { get; }
    /// <summary>Why the request was degraded, or null.</summary>
    public abstract string? Degradation { get; }
    public abstract ValueTask DisposeAsync();
}

public sealed class AdmissionRejectedException(string reason, TimeSpan retryAfter)
    : Exception($"{reason} Retry in {Math.Ceiling(retryAfter.TotalSeconds)} s.")
{
    public string Reason { get; } = reason;
    public TimeSpan RetryAfter { get; } = retryAfter;
}

namespace Orleans.Tts.Admission;

/// <summary>
/// Enforces the cluster-wide concurrency limit, the per-client share and decides degradations
/// (long text on an expensive voice falls back to a cheaper voice when the cluster is saturated).
/// This process's side of admission: requests wait here, in a bounded deadline-aware queue, for permits the cluster's
/// <see cref="IAdmissionGrain"/> grants (in memory alone when this process is the whole cluster).
/// </summary>
public interface IAdmission
{
    /// <summary>Waits (up to <see cref="AdmissionRequest.MaxWait"/>) for a permit, or throws <see cref="AdmissionRejectedException"/>.</summary>
    ValueTask<AdmissionPermit> AcquireAsync(AdmissionRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Refuses at once, from what this process already knows and without a round trip to shared storage, a request whose
    /// wait would certainly be refused: this process's queue is full, or every permit was in use at the last look and the
    /// queue ahead at the observed hold time is longer than the request's wait. Null: try <see cref="AcquireAsync"/>.
    /// Lets an overloaded process shed the excess before spending anything on it (cache lookups, permit attempts).
    /// </summary>
    AdmissionRejectedException? RefuseEarly(AdmissionRequest request);

    /// <summary>This silo's view of admission now.</summary>
    AdmissionStatus Status { get; }
}

/// <param name="ClientId">API key id or remote address.</param>
/// <param name="VoiceId">Requested voice.</param>
/// <param name="TextLength">Characters of input.</param>
/// <param name="MaxWait">How long the caller may wait in the queue (clamped to the configured maximum).</param>
/// <param name="FallbackVoiceId">A cheaper voice to use for long text when the cluster is saturated, or null.</param>
/// <param name="ArrivedAt">When the request arrived (a <see cref="System.Diagnostics.Stopwatch"/> timestamp): its wait runs from then, so the
/// time it already spent (reading, validation, cache lookups) counts; 0: from the call to <see cref="IAdmission.AcquireAsync"/>.</param>
/// <param name="FirstSentenceLength">Characters of the input's first sentence (<see cref="FirstSentenceLengthOf"/>): what must be synthesised
/// before the request's audio starts, which is what its deadline must cover; 0: the whole <paramref name="TextLength"/>.</param>
public sealed record AdmissionRequest(string ClientId, string VoiceId, int TextLength, TimeSpan MaxWait, string? FallbackVoiceId = null, long ArrivedAt = 0,
    int FirstSentenceLength = 0)
{
    /// <summary>The characters whose synthesis comes before the first audio: the first sentence, at most the whole text.</summary>
    public int FirstAudioChars => FirstSentenceLength > 0 ? Math.Min(FirstSentenceLength, TextLength) : TextLength;

    /// <summary>
    /// The length of <paramref name="text"/>'s first sentence, found as cheaply as an estimate needs: up to and including the
    /// first sentence mark (CJK or Latin; a '.' only before a space) or line end, and at most <paramref name="maxSentenceChars"/>
    /// (the planner cuts longer sentences there). Abbreviations are not looked for: a cut too early only makes the estimate short
    /// by a sentence's part, as the planner's own cut at a clause would.
    /// </summary>
    public static int FirstSentenceLengthOf(string text, int maxSentenceChars)
    {
        var end = Math.Min(text.Length, maxSentenceChars);
        for (var i = 0; i < end; i++)
        {
            switch (text[i])
            {
                case '\n' or '\r' when i > 0:
                case '。' or '！' or '？' or '；' or '…' or '!' or '?' or ';':
                    return i + 1;
                case '.' when i + 1 == text.Length || char.IsWhiteSpace(text[i + 1]):
                    return i + 1;
            }
        }
        return end;
    }
}

/// <param name="Limit">Cluster-wide permits (last known).</param>
/// <param name="InUse">Permits in use cluster-wide (last known).</param>
/// <param name="HeldHere">Permits this silo holds.</param>
/// <param name="QueuedHere">Requests of this silo waiting for a permit.</param>
/// <param name="Backend"><c>orleans</c> (the admission grain) or <c>local-fallback</c> (the grain unreachable: this process admits alone within its own capacity).</param>
public sealed record AdmissionStatus(int Limit, int InUse, int HeldHere, int QueuedHere, string Backend);

public static class AdmissionBackends
{
    /// <summary>The admission grain answers.</summary>
    public const string Orleans = "orleans";
    /// <summary>The admission grain is unreachable: this process admits alone, within its own capacity.</summary>
    public const string LocalFallback = "local-fallback";
}

/// <summary>A granted permit; disposing it gives the permit back.</summary>
public abstract class AdmissionPermit : IAsyncDisposable
{
    /// <summary>The voice to use (may be a cheaper fallback).</summary>
    public abstract string VoiceId { get; }
    /// <summary>Why the request was degraded (for <c>X-Tts-Degraded</c>), or null.</summary>
    public abstract string? Degradation { get; }
    public abstract ValueTask DisposeAsync();
}

public sealed class AdmissionRejectedException(string reason, TimeSpan retryAfter)
    : Exception($"{reason} Retry in {Math.Max(1, Math.Ceiling(retryAfter.TotalSeconds))} s.")
{
    public string Reason { get; } = reason;
    public TimeSpan RetryAfter { get; } = retryAfter;
}

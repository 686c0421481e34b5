using Orleans.Tts.Voices;

namespace Orleans.Tts.Synthesis;

/// <summary>
/// The stateless synthesis workers of one silo. Bounded parallelism and a bounded queue:
/// when the queue is full a call fails at once with <see cref="WorkerPoolSaturatedException"/>.
/// </summary>
public interface ISynthesisWorker
{
    /// <summary>Every voice this silo can speak with.</summary>
    ValueTask<IReadOnlyList<VoiceInfo>> GetVoicesAsync(CancellationToken cancellationToken = default);

    /// <summary>Synthesises the whole text, sentence by sentence, into one clip at the voice's rate.</summary>
    ValueTask<AudioClip> SynthesizeAsync(SynthesisRequest request, CancellationToken cancellationToken = default);

    /// <summary>
    /// Synthesises the text sentence by sentence and yields one clip per sentence, in order, as soon as
    /// each is ready (sentences may be synthesised in parallel; the order of the clips never changes).
    /// Concatenated, the clips are what <see cref="SynthesizeAsync"/> returns. Cancelling (or disposing
    /// the enumerator early) stops the remaining sentences.
    /// </summary>
    IAsyncEnumerable<AudioClip> StreamAsync(SynthesisRequest request, CancellationToken cancellationToken = default);

    /// <summary>Current load, for readiness, metrics and (later) load-aware routing.</summary>
    WorkerPoolStatus Status { get; }
}

/// <summary>A snapshot of a worker pool.</summary>
/// <param name="Ready">Engines loaded and the pool accepting work.</param>
/// <param name="Parallelism">Syntheses that can run at once.</param>
/// <param name="Running">Syntheses running now.</param>
/// <param name="Queued">Syntheses waiting for a worker.</param>
/// <param name="QueueLimit">Waiting syntheses beyond which calls are rejected.</param>
/// <param name="Detail">Why the pool is not ready, or engine facts.</param>
[GenerateSerializer, Alias("tts.WorkerPoolStatus")]
public sealed record WorkerPoolStatus([property: Id(0)] bool Ready, [property: Id(1)] int Parallelism, [property: Id(2)] int Running, [property: Id(3)] int Queued, [property: Id(4)] int QueueLimit, [property: Id(5)] IReadOnlyDictionary<string, string> Detail);

/// <summary>The pool's queue is full. Retry after <see cref="RetryAfter"/>.</summary>
public sealed class WorkerPoolSaturatedException(TimeSpan retryAfter, int queued, int queueLimit)
    : Exception($"All {queueLimit} queue places of this silo are taken; retry in {Math.Ceiling(retryAfter.TotalSeconds)} s.")
{
    public TimeSpan RetryAfter { get; } = retryAfter;
    public int Queued { get; } = queued;
    public int QueueLimit { get; } = queueLimit;
}

/// <summary>The voice id names no voice this silo has (or a voice blend that cannot be built; <paramref name="reason"/> says why).</summary>
public sealed class UnknownVoiceException(string voiceId, string? reason = null)
    : Exception(reason ?? $"There is no voice '{voiceId}'. GET /v1/voices lists the valid ids.")
{
    public string VoiceId { get; } = voiceId;
}

/// <summary>An engine could not serve the request for a transient reason (a worker restarted); retry.</summary>
public class EngineUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

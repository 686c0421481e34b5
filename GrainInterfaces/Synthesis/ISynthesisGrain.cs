using Orleans.Concurrency;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Synthesis;

/// <summary>
/// The synthesis workers of one silo, as a grain keyed by the address of the silo it runs on (<see cref="SynthesisGrainKey.Of"/>)
/// and placed only there, so a caller chooses which silo synthesises each sentence.
/// It never waits for a worker without bound: a silo whose workers and queue are full answers <see cref="SentenceOutcome.Busy"/> at once.
/// </summary>
[Alias("tts.ISynthesisGrain")]
public interface ISynthesisGrain : IGrainWithStringKey
{
    /// <summary>The voices this silo speaks with, and the engine and model versions its audio is made with.</summary>
    [Alias("voices")]
    Task<SiloVoices> GetVoicesAsync();

    /// <summary>One planned work item (a sentence), rendered at the request voice's rate.</summary>
    [Alias("planned")]
    Task<SentenceResult> SynthesizePlannedAsync(PlannedSynthesisRequest request, CancellationToken cancellationToken = default);

    /// <summary>Item <paramref name="index"/> of a request this silo plans itself (a voice the caller cannot plan, such as a Kokoro blend).</summary>
    [Alias("item")]
    Task<SentenceResult> SynthesizeItemAsync(SynthesisRequest request, int index, CancellationToken cancellationToken = default);

    /// <summary>
    /// Synthesises a job unit in this silo's low-priority lane and stores its audio; at most TTS_JOB_MAX_WORKERS units run here at
    /// once (one more is answered <see cref="Jobs.JobUnitOutcome.Busy"/> at once). Long: a unit of many sentences waits behind
    /// interactive speech. If this silo dies, Orleans fails the call once the silo is declared dead and the job runs the unit elsewhere.
    /// </summary>
    [Alias("jobunit"), ResponseTimeout("02:00:00")]
    Task<Jobs.JobUnitResult> RunJobUnitAsync(Jobs.JobUnitWork work, CancellationToken cancellationToken = default);

    /// <summary>Stops this silo's running units of the job (a cancelled job's units may run on silos its grain no longer tracks).</summary>
    [Alias("canceljob")]
    Task CancelJobAsync(string jobId);

    /// <summary>The silo's workers now: what a caller weighs when it picks a silo.</summary>
    [Alias("load")]
    Task<SiloLoad> GetLoadAsync();
}

public static class SynthesisGrainKey
{
    /// <summary>The grain key of the synthesis workers on the silo at <paramref name="silo"/>.</summary>
    public static string Of(Orleans.Runtime.SiloAddress silo) => silo.ToParsableString();
}

/// <param name="Voices">Every voice of the silo.</param>
/// <param name="Versions">Engine and model versions (<see cref="ModelVersion"/>): part of result-cache keys.</param>
[GenerateSerializer, Immutable, Alias("tts.SiloVoices")]
public sealed record SiloVoices([property: Id(0)] IReadOnlyList<VoiceInfo> Voices, [property: Id(1)] IReadOnlyDictionary<string, string> Versions);

/// <param name="Capacity">Syntheses the silo runs at once.</param>
/// <param name="Running">Syntheses running.</param>
/// <param name="Queued">Syntheses waiting for a worker.</param>
/// <param name="Draining">The silo is shutting down and takes no new work.</param>
/// <param name="AdmissionQueued">Requests waiting on the silo for an admission permit.</param>
/// <param name="Name">The silo's name (<c>TTS_SILO_ID</c>, e.g. its pod's), for people reading logs and <c>/ready</c>.</param>
/// <param name="Ready">Its engines are loaded and its worker pool takes work (a silo joins the cluster before that).</param>
[GenerateSerializer, Immutable, Alias("tts.SiloLoad")]
public sealed record SiloLoad([property: Id(0)] int Capacity, [property: Id(1)] int Running, [property: Id(2)] int Queued, [property: Id(3)] bool Draining,
    [property: Id(4)] int AdmissionQueued = 0, [property: Id(5)] string Name = "", [property: Id(6)] bool Ready = true);

/// <summary>How a silo answered for one item.</summary>
public enum SentenceOutcome
{
    /// <summary><see cref="SentenceResult.Clip"/> holds the audio (null past the request's last item).</summary>
    Done,
    /// <summary>Workers and queue full: try another silo, or after <see cref="SentenceResult.RetryAfter"/>.</summary>
    Busy,
    /// <summary>Shutting down: never ask this silo again.</summary>
    Draining,
    /// <summary>The voice is not one of this silo's (<see cref="SentenceResult.Error"/> says why).</summary>
    UnknownVoice,
    /// <summary>An engine failed for a transient reason (a host restarted): another silo may succeed.</summary>
    Unavailable,
}

/// <param name="Total">Items of the request (known from the plan, or counted by the silo that planned it).</param>
[GenerateSerializer, Immutable, Alias("tts.SentenceResult")]
public sealed record SentenceResult([property: Id(0)] SentenceOutcome Outcome, [property: Id(1)] AudioClip? Clip = null, [property: Id(2)] int Total = 0,
    [property: Id(3)] TimeSpan RetryAfter = default, [property: Id(4)] string? Error = null, [property: Id(5)] SiloLoad? Load = null);

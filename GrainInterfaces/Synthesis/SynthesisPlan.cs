using Orleans.Tts.Voices;

namespace Orleans.Tts.Synthesis;

/// <summary>
/// One work item of a planned synthesis: a sentence already normalised and split, in a resolved voice with its speed,
/// pitch and linear gain (the request's volume included), or a pause (<paramref name="Text"/> null). Every item is rendered at the
/// request voice's rate; a speaker's style applies to the items in the speaker's base voice (the request voice).
/// <paramref name="Source"/>, for requests that want word timings: for each UTF-16 unit of <paramref name="Text"/> the span of the
/// request's input it reads, as interleaved (start, end) pairs; the silo that synthesises the item maps its words with it.
/// </summary>
[GenerateSerializer, Alias("tts.PlannedItem")]
public sealed record PlannedItem([property: Id(0)] string? Text, [property: Id(1)] string VoiceId, [property: Id(2)] double Speed = 1.0, [property: Id(3)] double Pitch = 0.0, [property: Id(4)] double Gain = 1.0, [property: Id(5)] TimeSpan Pause = default,
    [property: Id(6)] int[]? Source = null)
{
    public bool IsPause => Text is null;

    /// <summary>The silence of a pause item at <paramref name="rate"/>.</summary>
    public AudioClip Silence(int rate) => new(rate, new short[(int)Math.Round(Pause.TotalSeconds * rate)]);
}

/// <summary>
/// Cuts a request into its ordered work items (normalisation, sentence splitting, per-segment voice and prosody) — the same
/// cut on a silo and on a frontend, so a frontend plans a text once and sends each silo only the sentences it synthesises.
/// </summary>
public interface ISynthesisPlanner
{
    /// <summary>The request's work items; <paramref name="resolve"/> maps a voice id to its voice or throws <see cref="UnknownVoiceException"/>.</summary>
    IReadOnlyList<PlannedItem> Plan(SynthesisRequest request, Func<string, VoiceInfo> resolve);
}

/// <summary>
/// What a frontend asks a silo's planned-sentences endpoint (<see cref="SentenceFrames.PlannedPath"/>): just the work items to
/// synthesise, in the request voice <paramref name="VoiceId"/> (their rate) and for <paramref name="Speaker"/> if any; the
/// answer is one sentence frame per item, in order.
/// </summary>
/// <param name="Stream">The request these items belong to when its sentences go to silos one call each, and <paramref name="Index"/>
/// the first item's place in it: a silo whose workers are all busy starts the earliest waiting sentence of a stream first.</param>
[GenerateSerializer, Alias("tts.PlannedSynthesisRequest")]
public sealed record PlannedSynthesisRequest([property: Id(0)] string VoiceId, [property: Id(1)] IReadOnlyList<PlannedItem> Items, [property: Id(2)] Orleans.Tts.Speakers.SpeakerRef? Speaker = null,
    [property: Id(3)] string? Stream = null, [property: Id(4)] int Index = 0)
{
    /// <summary>Items one request may carry.</summary>
    public const int MaxItems = 64;

    /// <summary>Longest <see cref="Stream"/> a silo orders by (a longer one is ignored).</summary>
    public const int MaxStreamLength = 64;
}

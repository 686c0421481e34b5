namespace Orleans.Tts.Synthesis;

/// <summary>One synthesis as a silo sees it: text already validated by the Frontend.</summary>
/// <param name="Text">Plain text (any mix of Han, kana, Hangul and Latin script).</param>
/// <param name="VoiceId">A voice id from the voice list.</param>
/// <param name="Speed">Speaking rate multiplier, 0.25–4.0.</param>
/// <param name="Pitch">Pitch shift in semitones, −12 to +12.</param>
/// <param name="Volume">Output gain, 0.1–2 (speakers set it).</param>
/// <param name="Speaker">The speaker when synthesising for <c>speaker:&lt;id&gt;</c> in its base voice: the silo that synthesises
/// fetches its embedding (computed once for the cluster) and hands it to the engine with the speaker's sentences.</param>
/// <param name="Segments">For SSML input: the parsed segments, rendered in order instead of <paramref name="Text"/> (kept as the source).</param>
/// <param name="Words">Word timings wanted: the clips carry <see cref="AudioClip.Words"/> with spans of <paramref name="Text"/>.</param>
[GenerateSerializer, Alias("tts.SynthesisRequest")]
public sealed record SynthesisRequest([property: Id(0)] string Text, [property: Id(1)] string VoiceId, [property: Id(2)] double Speed = 1.0, [property: Id(3)] double Pitch = 0.0, [property: Id(4)] double Volume = 1.0,
    [property: Id(5)] Orleans.Tts.Speakers.SpeakerRef? Speaker = null, [property: Id(6)] IReadOnlyList<SpeechSegment>? Segments = null, [property: Id(7)] bool Words = false)
{
    public const double MinSpeed = 0.25, MaxSpeed = 4.0, MinPitch = -12, MaxPitch = 12;
}

/// <summary>Per-sentence options an engine honours.</summary>
/// <param name="Speaker">The speaker's embedding for sentences in the speaker's base voice; an engine reads the kinds it knows
/// (Kokoro: <see cref="Orleans.Tts.Speakers.SpeakerEmbedding.KokoroStyle"/>, the style table) and ignores the others.</param>
/// <param name="Background">Job work: engines that can run it at a lower OS priority than interactive work do (eSpeak's background hosts).</param>
/// <param name="Words">Word timings wanted: an engine that knows where its words are returns them in <see cref="AudioClip.Words"/>.</param>
[GenerateSerializer, Alias("tts.SynthesisOptions")]
public sealed record SynthesisOptions([property: Id(0)] double Speed = 1.0, [property: Id(1)] double Pitch = 0.0, [property: Id(2)] Orleans.Tts.Speakers.SpeakerEmbedding? Speaker = null, [property: Id(3)] bool Background = false,
    [property: Id(4)] bool Words = false)
{
    public static SynthesisOptions Default { get; } = new();
}

using System.Text.Json.Serialization;

namespace Orleans.Tts.Synthesis;

/// <summary>One piece of a structured (SSML) request, rendered in order by the worker pool.</summary>
/// <remarks>Polymorphic in JSON: a frontend sends segments to a silo's internal synthesis endpoint.</remarks>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(SpokenSegment), "spoken")]
[JsonDerivedType(typeof(PauseSegment), "pause")]
[GenerateSerializer, Alias("tts.SpeechSegment")]
public abstract record SpeechSegment;

/// <summary>Text spoken in a style; its voice and prosody are relative to the request's.</summary>
/// <param name="Source">For each UTF-16 unit of <paramref name="Text"/> the span of the SSML input it reads (interleaved start, end
/// pairs), so word timings point into the markup's text content; null: not known (word spans then cover the segment).</param>
[GenerateSerializer, Alias("tts.SpokenSegment")]
public sealed record SpokenSegment([property: Id(0)] string Text, [property: Id(1)] SegmentStyle Style, [property: Id(2)] int[]? Source = null) : SpeechSegment;

/// <summary>Silence.</summary>
[GenerateSerializer, Alias("tts.PauseSegment")]
public sealed record PauseSegment([property: Id(0)] TimeSpan Duration) : SpeechSegment;

/// <param name="VoiceId">A resolved voice id, or null for the request's voice.</param>
/// <param name="Language">The language to read the text as (normalisation), or null for the voice's.</param>
/// <param name="Rate">Speaking-rate multiplier on top of the request's speed.</param>
/// <param name="Pitch">Semitones added to the request's pitch.</param>
/// <param name="Gain">Linear gain on top of the request's volume.</param>
[GenerateSerializer, Alias("tts.SegmentStyle")]
public sealed record SegmentStyle([property: Id(0)] string? VoiceId = null, [property: Id(1)] string? Language = null, [property: Id(2)] double Rate = 1.0, [property: Id(3)] double Pitch = 0.0, [property: Id(4)] double Gain = 1.0)
{
    public static SegmentStyle Default { get; } = new();
}

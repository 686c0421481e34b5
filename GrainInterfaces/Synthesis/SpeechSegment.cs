using System.Text.Json.Serialization;

namespace Orleans.Tts.Synthesis;

/// <summary>One piece of a structured (SSML) request, rendered in order by the worker pool.</summary>
/// <remarks>Polymorphic in JSON: a frontend sends segments to a silo's internal synthesis endpoint.</remarks>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(SpokenSegment), "spoken")]
[JsonDerivedType(typeof(PauseSegment), "pause")]
public abstract record SpeechSegment;

/// <summary>Text spoken in a style; its voice and prosody are relative to the request's.</summary>
public sealed record SpokenSegment(string Text, SegmentStyle Style) : SpeechSegment;

/// <summary>Silence.</summary>
public sealed record PauseSegment(TimeSpan Duration) : SpeechSegment;

/// <param name="VoiceId">A resolved voice id, or null for the request's voice.</param>
/// <param name="Language">The language to read the text as (normalisation), or null for the voice's.</param>
/// <param name="Rate">Speaking-rate multiplier on top of the request's speed.</param>
/// <param name="Pitch">Semitones added to the request's pitch.</param>
/// <param name="Gain">Linear gain on top of the request's volume.</param>
public sealed record SegmentStyle(string? VoiceId = null, string? Language = null, double Rate = 1.0, double Pitch = 0.0, double Gain = 1.0)
{
    public static SegmentStyle Default { get; } = new();
}

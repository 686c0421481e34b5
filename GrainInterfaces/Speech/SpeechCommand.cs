namespace Orleans.Tts.Speech;

/// <summary>
/// One synthesis as a .NET caller asks for it: the fields of <c>POST /v1/audio/speech</c>. Nothing is trusted: every field
/// is checked on the silo, and a wrong one is answered with <see cref="SpeechRequestInvalidException"/>.
/// </summary>
/// <param name="Input">The text (or SSML starting with <c>&lt;speak&gt;</c>) to speak; at most the cluster's input limit (4096 characters by default).</param>
/// <param name="Voice">A voice id, an OpenAI name (<c>alloy</c>), a blend or <c>speaker:&lt;id&gt;</c>; null: the default voice.</param>
/// <param name="ResponseFormat">mp3 (default), opus, aac, flac, wav or pcm.</param>
/// <param name="Speed">0.25–4 (default 1).</param>
/// <param name="Pitch">Semitones, -12–12 (default 0).</param>
/// <param name="Model">Accepted for OpenAI compatibility; at most 256 characters.</param>
/// <param name="MaxWaitMs">How long the request may wait for capacity, in milliseconds (clamped to the cluster's maximum); null: the cluster's default.</param>
/// <param name="Caller">Who the request counts against for the per-client share (e.g. the calling service's name, at most 64 characters); null: one share for all Orleans callers.</param>
/// <param name="Timestamps"><c>word</c>: word timings mapped to <paramref name="Input"/> come with the audio (<see cref="SpeechAudio.Words"/>,
/// <see cref="SpeechChunk.Words"/>); null or <c>none</c>: none.</param>
[GenerateSerializer, Immutable, Alias("tts.SpeechCommand")]
public sealed record SpeechCommand(
    [property: Id(0)] string? Input,
    [property: Id(1)] string? Voice = null,
    [property: Id(2)] string? ResponseFormat = null,
    [property: Id(3)] double? Speed = null,
    [property: Id(4)] double? Pitch = null,
    [property: Id(5)] string? Model = null,
    [property: Id(6)] double? MaxWaitMs = null,
    [property: Id(7)] string? Caller = null,
    [property: Id(8)] string? Timestamps = null);

/// <summary>A whole encoded file.</summary>
/// <param name="CacheKey">The result-cache key of the request (the REST API's ETag, quoted).</param>
/// <param name="Degradation">Why a fallback voice spoke (the cluster was saturated), or null; degraded audio is never cached.</param>
[GenerateSerializer, Immutable, Alias("tts.SpeechAudio")]
public sealed record SpeechAudio(
    [property: Id(0)] byte[] Content,
    [property: Id(1)] string ContentType,
    [property: Id(2)] string VoiceId,
    [property: Id(3)] double AudioSeconds,
    [property: Id(4)] bool CacheHit,
    [property: Id(5)] string? Degradation,
    [property: Id(6)] string CacheKey,
    [property: Id(7)] IReadOnlyList<SpokenWord>? Words = null);

/// <summary>A piece of a streamed file.</summary>
/// <param name="Audio">The next bytes of the file (may be empty on the first or last chunk).</param>
/// <param name="Start">On the first chunk only: what the stream is.</param>
/// <param name="End">On the last chunk only: how much audio the stream held.</param>
/// <param name="Words">With <see cref="SpeechCommand.Timestamps"/> <c>word</c>: the words whose audio this chunk completes (a
/// sentence's words come with that sentence's chunk; a stream served from the cache sends them all with its first chunk).</param>
[GenerateSerializer, Immutable, Alias("tts.SpeechChunk")]
public sealed record SpeechChunk(
    [property: Id(0)] byte[] Audio,
    [property: Id(1)] SpeechStreamStart? Start = null,
    [property: Id(2)] SpeechStreamEnd? End = null,
    [property: Id(3)] IReadOnlyList<SpokenWord>? Words = null);

/// <summary>
/// A spoken word mapped to the request: [<paramref name="TextStart"/>, <paramref name="TextEnd"/>) indexes the request's
/// <c>input</c> in UTF-16 code units (for SSML: the text content of the markup), <paramref name="Text"/> is that piece of it, and
/// [<paramref name="StartMs"/>, <paramref name="EndMs"/>) is when it sounds in the audio. A written form read as several words
/// ("$120": one hundred twenty dollars) is one entry.
/// </summary>
[GenerateSerializer, Immutable, Alias("tts.SpokenWord")]
public sealed record SpokenWord(
    [property: Id(0)] string Text,
    [property: Id(1)] int TextStart,
    [property: Id(2)] int TextEnd,
    [property: Id(3)] double StartMs,
    [property: Id(4)] double EndMs);

/// <param name="AudioSeconds">Known at the start only when the stream is served from the cache.</param>
[GenerateSerializer, Immutable, Alias("tts.SpeechStreamStart")]
public sealed record SpeechStreamStart(
    [property: Id(0)] string ContentType,
    [property: Id(1)] string VoiceId,
    [property: Id(2)] bool CacheHit,
    [property: Id(3)] string? Degradation,
    [property: Id(4)] double? AudioSeconds);

/// <param name="InputChars">Characters of input (what OpenAI's usage calls input tokens here).</param>
[GenerateSerializer, Immutable, Alias("tts.SpeechStreamEnd")]
public sealed record SpeechStreamEnd([property: Id(0)] double AudioSeconds, [property: Id(1)] int InputChars);

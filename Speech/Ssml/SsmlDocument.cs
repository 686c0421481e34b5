using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Speech.Ssml;

/// <summary>
/// Parsed SSML: segments whose <see cref="SegmentStyle.VoiceId"/> still holds the name written in <c>&lt;voice name&gt;</c>
/// and whose <see cref="SegmentStyle.Language"/> holds <c>xml:lang</c> of <c>&lt;lang&gt;</c>; <see cref="References"/> says
/// where each was written, for errors when the frontend resolves them.
/// </summary>
public sealed record SsmlDocument(IReadOnlyList<SpeechSegment> Segments, IReadOnlyList<SsmlReference> References);

/// <summary>A voice name (<c>&lt;voice name&gt;</c>) or language (<c>&lt;lang xml:lang&gt;</c>) and where it was written.</summary>
public sealed record SsmlReference(string Value, bool IsLanguage, int Line, int Column);

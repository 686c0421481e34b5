namespace Orleans.Tts.Synthesis;

/// <summary>
/// One spoken word of a clip: the text it reads, [<paramref name="TextStart"/>, <paramref name="TextEnd"/>) in UTF-16 code units,
/// and where it sounds, [<paramref name="StartSample"/>, <paramref name="EndSample"/>) in samples of the clip.
/// </summary>
[GenerateSerializer, Immutable, Alias("tts.WordTiming")]
public sealed record WordTiming([property: Id(0)] int TextStart, [property: Id(1)] int TextEnd, [property: Id(2)] int StartSample, [property: Id(3)] int EndSample);

namespace Orleans.Tts.Speech.Ssml;

/// <summary>Bounds on what one SSML document may ask for.</summary>
public sealed record SsmlLimits(int MaxDepth = 16, int MaxElements = 1000, int MaxCharacters = 65536, double MaxBreakSeconds = 10, double MaxTotalBreakSeconds = 60)
{
    public static SsmlLimits Default { get; } = new();
}

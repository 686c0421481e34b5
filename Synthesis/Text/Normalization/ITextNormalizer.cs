namespace Orleans.Tts.Synthesis.Text.Normalization;

/// <summary>
/// Rewrites the written forms of one language family (numbers, dates, times, money, units, abbreviations, addresses)
/// into words that engine front ends read as a speaker would. Applied to one script run at a time.
/// </summary>
public interface ITextNormalizer
{
    /// <summary>True for the BCP 47 tags this normaliser reads (by primary subtag, e.g. "en" for "en-GB").</summary>
    bool Supports(string language);

    /// <summary>The run rewritten; <paramref name="language"/> is the voice's tag, for regional variants (en-GB dates).</summary>
    string Normalize(string text, string language);

    /// <summary>
    /// The same rewrite with the source map carried along (for word timings). A normaliser that cannot tell which part of its
    /// output came from which part of its input maps the whole output to the whole run, which is still correct, only coarser.
    /// </summary>
    MappedText Normalize(MappedText text, string language)
    {
        var (start, end) = text.Source;
        var normalized = Normalize(text.Text, language);
        return normalized == text.Text ? text : MappedText.Uniform(normalized, start, end);
    }
}

namespace Orleans.Tts.Synthesis.Text.Normalization;

/// <summary>
/// Normalises request text before it is split into sentences and reaches any engine (eSpeak or ONNX). The voice's own
/// normaliser reads the whole text first, because number-bound forms cross script runs (5kg is a digit run and a Latin
/// run); then each run in another language's script gets that language's normaliser: Latin runs in CJK voices are read
/// as English, Han runs in other voices as Mandarin (Japanese and Cantonese voices read Han themselves).
/// </summary>
public sealed class SpeechTextNormalizer(IEnumerable<ITextNormalizer> normalizers)
{
    private const string English = "en-us";
    private const string Mandarin = "cmn";
    private readonly IReadOnlyList<ITextNormalizer> _normalizers = normalizers.ToList();

    public static SpeechTextNormalizer Default { get; } = new([new EnglishTextNormalizer(), new MandarinTextNormalizer()]);

    public string Normalize(string text, string voiceLanguage)
    {
        ArgumentNullException.ThrowIfNull(text);
        var own = Find(voiceLanguage);
        if (own is not null) text = own.Normalize(text, voiceLanguage);

        var cjkVoice = IsCjk(voiceLanguage);
        var runs = ScriptSegmenter.Split(text);
        if (runs.Count == 0) return text;
        var result = new System.Text.StringBuilder(text.Length + 16);
        foreach (var run in runs)
        {
            var language = run.Script switch
            {
                Script.Alphabetic when cjkVoice => English,
                Script.Han when !cjkVoice => Mandarin,
                _ => null,
            };
            var normalizer = language is null ? null : Find(language);
            result.Append(normalizer is null || normalizer == own ? run.Text : Spaced(normalizer.Normalize(run.Text, language!), run.Text));
        }
        return result.ToString();
    }

    /// <summary>
    /// <see cref="Normalize(string, string)"/> with the source map carried along (word timings): the same text, and each unit
    /// knows the span of the client's text it reads.
    /// </summary>
    public MappedText Normalize(MappedText text, string voiceLanguage)
    {
        ArgumentNullException.ThrowIfNull(text);
        var own = Find(voiceLanguage);
        if (own is not null) text = own.Normalize(text, voiceLanguage);

        var cjkVoice = IsCjk(voiceLanguage);
        var runs = ScriptSegmenter.Split(text.Text);
        if (runs.Count == 0) return text;
        var result = new MappedText.Builder(text.Length + 16);
        var at = 0;
        foreach (var run in runs)
        {
            // Runs are consecutive pieces of the text, so each starts where the one before ended.
            var piece = text.Slice(at, run.Text.Length);
            at += run.Text.Length;
            var language = run.Script switch
            {
                Script.Alphabetic when cjkVoice => English,
                Script.Han when !cjkVoice => Mandarin,
                _ => null,
            };
            var normalizer = language is null ? null : Find(language);
            if (normalizer is null || normalizer == own)
            {
                result.Append(piece);
                continue;
            }
            // As Spaced: the normaliser trims its run, the spaces around it stay.
            var leading = piece.Text.Length - piece.Text.TrimStart().Length;
            var trailing = piece.Text.Length - piece.Text.TrimEnd().Length;
            result.Append(piece.Slice(0, leading)).Append(normalizer.Normalize(piece, language!).Trim())
                .Append(piece.Slice(piece.Length - trailing, trailing));
        }
        return result.Build();
    }

    private ITextNormalizer? Find(string language) => _normalizers.FirstOrDefault(n => n.Supports(language));

    /// <summary>A normaliser trims its run; keep the spaces that separated it from its neighbours.</summary>
    private static string Spaced(string normalized, string original)
    {
        var leading = original.Length - original.TrimStart().Length;
        var trailing = original.Length - original.TrimEnd().Length;
        return original[..leading] + normalized.Trim() + original[(original.Length - trailing)..];
    }

    private static bool IsCjk(string language)
    {
        var primary = language.Split('-')[0].ToLowerInvariant();
        return primary is "zh" or "cmn" or "yue" or "ja" or "ko";
    }
}

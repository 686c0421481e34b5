using System.Text;
using System.Text.RegularExpressions;
using Orleans.Tts.Synthesis.Engines.Phonemes;

namespace Orleans.Tts.Synthesis.Engines.Kokoro;

/// <summary>Which of misaki's eSpeak mappings applies to a run of text.</summary>
public enum KokoroDialect { AmericanEnglish, BritishEnglish, Mandarin, Other }

/// <summary>
/// eSpeak NG IPA (written with <see cref="Tie"/> inside multi-letter phonemes) to the phoneme set Kokoro was
/// trained on, following the substitutions of Kokoro's G2P (misaki): diphthongs and affricates become one symbol
/// (<c>a^ɪ</c> → <c>I</c>, <c>t^ʃ</c> → <c>ʧ</c>), American English drops length marks, Mandarin tones become
/// Kokoro's tone arrows.
/// </summary>
public static partial class KokoroPhonemes
{
    public const char Tie = '^';

    // misaki's EspeakFallback table for English, applied longest key first.
    private static readonly (string From, string To)[] English = ByLength(
    [
        ("ʔˌn\u0329", "tn"), ("ʔn\u0329", "tn"), ("ʔn", "tn"), ("ʔ", "t"),
        ("a^ɪ", "I"), ("a^ʊ", "W"), ("d^ʒ", "ʤ"), ("e^ɪ", "A"), ("e", "A"), ("t^ʃ", "ʧ"), ("ɔ^ɪ", "Y"),
        ("ə^l", "ᵊl"), ("ʲo", "jo"), ("ʲə", "jə"), ("ʲ", ""), ("ɚ", "əɹ"), ("r", "ɹ"), ("x", "k"), ("ç", "k"),
        ("ɐ", "ə"), ("ɬ", "l"), ("\u0303", ""),
    ]);

    // British diphthongs that would otherwise lose their first letter to the e → A rule above.
    private static readonly (string From, string To)[] BritishFirst = [("e^ə", "ɛː"), ("ə^ʊ", "Q")];

    // misaki's EspeakG2P table for the other eSpeak languages.
    private static readonly (string From, string To)[] OtherLanguages = ByLength(
    [
        ("a^ɪ", "I"), ("a^ʊ", "W"), ("d^z", "ʣ"), ("d^ʒ", "ʤ"), ("e^ɪ", "A"), ("o^ʊ", "O"), ("ə^ʊ", "Q"),
        ("s^s", "S"), ("t^s", "ʦ"), ("t^ʃ", "ʧ"), ("ɔ^ɪ", "Y"),
    ]);

    // eSpeak's cmn IPA to the pinyin-IPA symbols of misaki's Mandarin G2P (retroflex dots, aspiration, apical vowels).
    private static readonly (string From, string To)[] Mandarin = ByLength(
    [
        ("t^s.^h", "ʈʂʰ"), ("t^s.", "ʈʂ"), ("s.", "ʂ"), ("ʐ", "ɻ"), ("i.", "ɨ"), ("i\u032a", "ɨ"),
        ("t^ɕ^h", "ʨʰ"), ("t^ɕ", "ʨ"), ("t^s^h", "ʦʰ"), ("t^s", "ʦ"), ("p^h", "pʰ"), ("t^h", "tʰ"), ("k^h", "kʰ"),
        ("χ", "x"), ("ə^r", "ɚ"), ("ʲ", ""),
    ]);

    /// <summary>Kokoro's tone arrows for pinyin tones 1–4 (the neutral tone has none).</summary>
    public static string ToneArrow(int tone) => tone switch { 1 => "→", 2 => "↗", 3 => "↓", 4 => "↘", _ => "" };

    public static KokoroDialect DialectOf(string espeakVoice) => espeakVoice switch
    {
        "en-us" => KokoroDialect.AmericanEnglish,
        "en-gb" or "en" => KokoroDialect.BritishEnglish,
        Espeak.EspeakTextFrontEnd.MandarinVoice => KokoroDialect.Mandarin,
        _ => KokoroDialect.Other,
    };

    /// <summary>One clause of eSpeak IPA (language flags included) in Kokoro's symbols.</summary>
    public static string FromEspeak(string ipa, KokoroDialect dialect)
    {
        var ps = LanguageFlag().Replace(ipa, "");
        switch (dialect)
        {
            case KokoroDialect.AmericanEnglish or KokoroDialect.BritishEnglish:
                var british = dialect == KokoroDialect.BritishEnglish;
                if (british) ps = Apply(ps, BritishFirst);
                ps = Apply(ps, English);
                ps = SyllabicConsonant().Replace(ps, "ᵊ$1").Replace("\u0329", "");
                if (british)
                    ps = ps.Replace("iə", "ɪə");
                else
                    ps = ps.Replace("o^ʊ", "O").Replace("ɜːɹ", "ɜɹ").Replace("ɜː", "ɜɹ").Replace("ɪə", "iə").Replace("ː", "");
                // eSpeak before 1.52 writes o for ɔ; Kokoro's G2P writes flaps as T.
                return ps.Replace("o", "ɔ").Replace("^", "").Replace("ɾ", "T");
            case KokoroDialect.Mandarin:
                return Apply(ps, Mandarin).Replace("^", "").Replace("ˈ", "").Replace("ˌ", "");
            default:
                return Apply(ps, OtherLanguages).Replace("^", "").Replace("-", "");
        }
    }

    /// <summary>
    /// Numbered pinyin prepared for eSpeak's cmn-latn-pinyin voice so Kokoro gets the tones: every syllable is read
    /// in the neutral tone (eSpeak's IPA writes tones 1 and 4 alike) and the real tones are returned in order.
    /// </summary>
    public static (string Text, List<int> Tones) NeutralPinyin(string pinyin)
    {
        var tones = new List<int>();
        var text = PinyinSyllable().Replace(pinyin, m =>
        {
            tones.Add(m.Groups[2].Value[0] - '0');
            return m.Groups[1].Value + "5";
        });
        return (text, tones);
    }

    /// <summary>
    /// The clauses of neutral-tone pinyin in Kokoro's symbols with each syllable's tone arrow; eSpeak writes one word per
    /// syllable. Should its words not match the syllables, the tones are left out rather than put on the wrong syllables.
    /// </summary>
    public static List<string> MandarinClauses(IReadOnlyList<PhonemeClause> clauses, IReadOnlyList<int> tones)
    {
        var words = clauses.Select(c => FromEspeak(c.Phonemes, KokoroDialect.Mandarin)
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(w => ToneDigits().Replace(w, "")).ToArray()).ToList();
        var aligned = words.Sum(w => w.Length) == tones.Count;
        var next = 0;
        return [.. words.Select(clause => string.Join(' ', clause.Select(w => aligned ? w + ToneArrow(tones[next++]) : w)))];
    }

    private static (string, string)[] ByLength((string From, string To)[] rules) =>
        [.. rules.OrderByDescending(r => r.From.Length)];

    private static string Apply(string text, (string From, string To)[] rules)
    {
        var sb = new StringBuilder(text);
        foreach (var (from, to) in rules) sb.Replace(from, to);
        return sb.ToString();
    }

    [GeneratedRegex(@"\([^)]*\)")]
    private static partial Regex LanguageFlag();

    [GeneratedRegex(@"(\S)\u0329")]
    private static partial Regex SyllabicConsonant();

    [GeneratedRegex(@"([a-zü:]+)([1-5])", RegexOptions.IgnoreCase)]
    private static partial Regex PinyinSyllable();

    [GeneratedRegex("[0-9]")]
    private static partial Regex ToneDigits();
}

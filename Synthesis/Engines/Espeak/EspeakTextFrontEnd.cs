using System.Text.RegularExpressions;
using Orleans.Tts.Synthesis.Text;

namespace Orleans.Tts.Synthesis.Engines.Espeak;

/// <summary>
/// Turns one sentence into eSpeak segments for a voice family: each script run is read by the
/// matching language — Han as Mandarin (through pinyin), Cantonese or Japanese depending on the
/// voice and the sentence, kana as Japanese (kanji through kana), Hangul as Korean, and Latin by
/// the voice itself or English for CJK voices — so mixed text sounds like one speaker switching language.
/// </summary>
public sealed partial class EspeakTextFrontEnd(Func<string, string> mandarinToPinyin, Func<string, string> japaneseToKana,
    Func<string, MappedText>? mandarinToPinyinMapped = null)
{
    public const string MandarinVoice = "cmn-latn-pinyin";
    public const string JapaneseVoice = "ja";
    public const string KoreanVoice = "ko";
    public const string CantoneseVoice = "yue";
    public const string EnglishVoice = "en-us";

    public IReadOnlyList<EspeakSegment> Segment(string espeakVoice, string language, string sentence) =>
        Segment(espeakVoice, language, sentence, null);

    /// <summary>
    /// <see cref="Segment(string, string, string)"/> with, for each segment, its text mapped to the span of the sentence it reads
    /// (word timings): runs read as written map one to one, pinyin syllable by syllable to their Han, kana to their whole run.
    /// </summary>
    public (IReadOnlyList<EspeakSegment> Segments, IReadOnlyList<MappedText> Maps) SegmentMapped(string espeakVoice, string language, string sentence)
    {
        var maps = new List<MappedText.Builder>();
        var segments = Segment(espeakVoice, language, sentence, maps);
        return (segments, maps.Select(m => m.Build()).ToList());
    }

    private List<EspeakSegment> Segment(string espeakVoice, string language, string sentence, List<MappedText.Builder>? maps)
    {
        var family = Family(language);
        var japanese = family == VoiceFamily.Japanese || ScriptSegmenter.Contains(sentence, Script.Kana);
        var segments = new List<EspeakSegment>();
        var at = 0;
        foreach (var run in ScriptSegmenter.Split(sentence))
        {
            // Runs are consecutive pieces of the sentence.
            var offset = at;
            at += run.Text.Length;
            var (voice, text, kind) = run.Script switch
            {
                Script.Han when japanese => (JapaneseVoice, japaneseToKana(run.Text), Reading.Whole),
                Script.Han when family == VoiceFamily.Cantonese => (CantoneseVoice, run.Text, Reading.AsWritten),
                Script.Han => (MandarinVoice, maps is null ? mandarinToPinyin(run.Text) : null, Reading.Pinyin),
                Script.Kana => (JapaneseVoice, japaneseToKana(run.Text), Reading.Whole),
                Script.Hangul => (KoreanVoice, run.Text, Reading.AsWritten),
                Script.Alphabetic when family != VoiceFamily.Other => (EnglishVoice, run.Text, Reading.AsWritten),
                // A sentence of digits and signs only is read in the voice's own language.
                Script.Neutral when family == VoiceFamily.Mandarin => (MandarinVoice, maps is null ? mandarinToPinyin(run.Text) : null, Reading.Pinyin),
                _ => (espeakVoice, run.Text, Reading.AsWritten),
            };
            if ((voice == CantoneseVoice || family == VoiceFamily.Cantonese && voice == espeakVoice) && kind == Reading.AsWritten && CantoneseSafe(text!) is { } safe)
                (text, kind) = (safe, Reading.Whole);
            MappedText? map = null;
            if (maps is not null)
            {
                map = kind switch
                {
                    Reading.AsWritten => MappedText.Identity(run.Text, offset),
                    Reading.Pinyin when mandarinToPinyinMapped is not null => Shift(mandarinToPinyinMapped(run.Text), offset),
                    Reading.Pinyin => MappedText.Uniform(mandarinToPinyin(run.Text), offset, at),
                    _ => MappedText.Uniform(text!, offset, at),
                };
                text = map.Text;
            }
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (segments.Count > 0 && segments[^1].Voice == voice)
            {
                segments[^1] = segments[^1] with { Text = segments[^1].Text + " " + text };
                maps?[^1].Insert(" ").Append(map!);
            }
            else
            {
                segments.Add(new EspeakSegment(voice, text!));
                maps?.Add(new MappedText.Builder(text!.Length).Append(map!));
            }
        }
        return segments;
    }

    private enum Reading { AsWritten, Pinyin, Whole }

    /// <summary>
    /// The text with every number of 13 or more digits (grouping commas included) spelt digit by digit, or null when it has none.
    /// Debian 12's libespeak-ng aborts the process ("buffer overflow detected") reading a 13- or 14-digit number in Cantonese;
    /// such a number is read digit by digit anyway by a listener, and longer ones were already.
    /// </summary>
    private static string? CantoneseSafe(string text)
    {
        var changed = false;
        var safe = LongNumber().Replace(text, m =>
        {
            var digits = m.Value.Count(char.IsAsciiDigit);
            if (digits < 13) return m.Value;
            changed = true;
            return string.Join(' ', m.Value.Where(char.IsAsciiDigit));
        });
        return changed ? safe : null;
    }

    [GeneratedRegex(@"[0-9](?:[0-9,]*[0-9])?", RegexOptions.CultureInvariant)]
    private static partial Regex LongNumber();

    /// <summary>A run's map moved from run positions to sentence positions.</summary>
    private static MappedText Shift(MappedText map, int offset)
    {
        if (offset == 0) return map;
        var pairs = map.ToPairs();
        for (var i = 0; i < pairs.Length; i++) pairs[i] += offset;
        return MappedText.FromPairs(map.Text, pairs)!;
    }

    private enum VoiceFamily { Other, Mandarin, Cantonese, Japanese, Korean }

    private static VoiceFamily Family(string language)
    {
        var l = language.ToLowerInvariant();
        return l switch
        {
            "yue" or "zh-yue" => VoiceFamily.Cantonese,
            "ja" => VoiceFamily.Japanese,
            "ko" => VoiceFamily.Korean,
            _ when l == "cmn" || l.StartsWith("cmn-", StringComparison.Ordinal) || l == "zh" || l.StartsWith("zh-", StringComparison.Ordinal) => VoiceFamily.Mandarin,
            _ => VoiceFamily.Other,
        };
    }
}

using Orleans.Tts.Synthesis.Text;

namespace Orleans.Tts.Synthesis.Engines.Espeak;

/// <summary>
/// Turns one sentence into eSpeak segments for a voice family: each script run is read by the
/// matching language — Han as Mandarin (through pinyin), Cantonese or Japanese depending on the
/// voice and the sentence, kana as Japanese (kanji through kana), Hangul as Korean, and Latin by
/// the voice itself or English for CJK voices — so mixed text sounds like one speaker switching language.
/// </summary>
public sealed class EspeakTextFrontEnd(Func<string, string> mandarinToPinyin, Func<string, string> japaneseToKana)
{
    public const string MandarinVoice = "cmn-latn-pinyin";
    public const string JapaneseVoice = "ja";
    public const string KoreanVoice = "ko";
    public const string CantoneseVoice = "yue";
    public const string EnglishVoice = "en-us";

    public IReadOnlyList<EspeakSegment> Segment(string espeakVoice, string language, string sentence)
    {
        var family = Family(language);
        var japanese = family == VoiceFamily.Japanese || ScriptSegmenter.Contains(sentence, Script.Kana);
        var segments = new List<EspeakSegment>();
        foreach (var run in ScriptSegmenter.Split(sentence))
        {
            var (voice, text) = run.Script switch
            {
                Script.Han when japanese => (JapaneseVoice, japaneseToKana(run.Text)),
                Script.Han when family == VoiceFamily.Cantonese => (CantoneseVoice, run.Text),
                Script.Han => (MandarinVoice, mandarinToPinyin(run.Text)),
                Script.Kana => (JapaneseVoice, japaneseToKana(run.Text)),
                Script.Hangul => (KoreanVoice, run.Text),
                Script.Alphabetic when family != VoiceFamily.Other => (EnglishVoice, run.Text),
                // A sentence of digits and signs only is read in the voice's own language.
                Script.Neutral when family == VoiceFamily.Mandarin => (MandarinVoice, mandarinToPinyin(run.Text)),
                _ => (espeakVoice, run.Text),
            };
            if (string.IsNullOrWhiteSpace(text)) continue;
            if (segments.Count > 0 && segments[^1].Voice == voice)
                segments[^1] = segments[^1] with { Text = segments[^1].Text + " " + text };
            else
                segments.Add(new EspeakSegment(voice, text));
        }
        return segments;
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

using System.Text;
using Orleans.Tts.Synthesis.Engines.Kokoro;
using Orleans.Tts.Synthesis.Engines.Phonemes;

namespace Orleans.Tts.Voices.Tests;

public sealed class KokoroPhonemeTests
{
    private static readonly KokoroVocabulary Vocabulary = KokoroVocabulary.Load();

    [Fact]
    public void The_shipped_vocabulary_has_kokoros_114_symbols_with_their_ids()
    {
        Assert.Equal(114, Vocabulary.Count);
        Assert.Equal([1, 4, 16, 43, 83, 156, 157, 158, 169, 177], Vocabulary.Encode(";. aəˈˌː↓ᵻ").Select(t => t.Id));
    }

    [Fact]
    public void Symbols_outside_the_vocabulary_are_dropped_and_counted()
    {
        var missing = new Dictionary<Rune, int>();

        var tokens = Vocabulary.Encode("a#b#", missing);

        Assert.Equal([43, 44], tokens.Select(t => t.Id));
        Assert.Equal(2, missing[new Rune('#')]);
    }

    [Theory]
    [InlineData("həlˈo^ʊ", "həlˈO")]
    [InlineData("ma^ɪ bˈɔ^ɪ", "mI bˈY")]
    [InlineData("hˈa^ʊ ɑː^ɹ juː", "hˈW ɑɹ ju")]
    [InlineData("nˈa^ɪn tˈiː t^ʃˈɜːt^ʃ d^ʒˈʌd^ʒ", "nˈIn tˈi ʧˈɜɹʧ ʤˈʌʤ")]
    [InlineData("bˈʌɾɚ", "bˈʌTəɹ")]
    [InlineData("(fr)bɔ̃ʒˈuʁ(en) ɡˈʊd", "bɔʒˈuʁ ɡˈʊd")]
    public void American_english_ipa_takes_kokoros_diphthong_and_affricate_symbols(string espeak, string kokoro)
    {
        Assert.Equal(kokoro, KokoroPhonemes.FromEspeak(espeak, KokoroDialect.AmericanEnglish));
    }

    [Theory]
    [InlineData("həlˈə^ʊ", "həlˈQ")]
    [InlineData("wˈe^ə", "wˈɛː")]
    [InlineData("kˈɑːm", "kˈɑːm")]
    public void British_english_keeps_length_and_has_its_own_diphthongs(string espeak, string kokoro)
    {
        Assert.Equal(kokoro, KokoroPhonemes.FromEspeak(espeak, KokoroDialect.BritishEnglish));
    }

    [Theory]
    [InlineData("ʒə- mapˈɛl pjˈɛʁ", "ʒə mapˈɛl pjˈɛʁ")]
    [InlineData("pˈat^sa", "pˈaʦa")]
    [InlineData("mˈa^ɪs", "mˈIs")]
    public void Other_languages_keep_espeaks_ipa_with_ties_joined_into_kokoro_symbols(string espeak, string kokoro)
    {
        Assert.Equal(kokoro, KokoroPhonemes.FromEspeak(espeak, KokoroDialect.Other));
    }

    [Fact]
    public void Pinyin_is_read_in_the_neutral_tone_and_its_tones_kept_in_order()
    {
        var (text, tones) = KokoroPhonemes.NeutralPinyin("ni2 hao3, zhong1 guo2 ren2 de5.");

        Assert.Equal("ni5 hao5, zhong5 guo5 ren5 de5.", text);
        Assert.Equal([2, 3, 1, 2, 2, 5], tones);
    }

    [Fact]
    public void Mandarin_syllables_get_kokoros_tone_arrows_and_pinyin_ipa_symbols()
    {
        PhonemeClause[] clauses = [new("nˈi1 χˈɑ^u1", ","), new("t^s.ˈo^n^ɡ1 kˈu^o1 ʐˈə1n tə1", ".")];

        var converted = KokoroPhonemes.MandarinClauses(clauses, [3, 3, 1, 2, 2, 5]);

        Assert.Equal(["ni↓ xɑu↓", "ʈʂonɡ→ kuo↗ ɻən↗ tə"], converted);
    }

    [Fact]
    public void Mandarin_tones_are_left_out_when_espeaks_words_do_not_match_the_syllables()
    {
        var converted = KokoroPhonemes.MandarinClauses([new PhonemeClause("nˈi1 χˈɑ^u1", "")], [3]);

        Assert.Equal(["ni xɑu"], converted);
    }

    [Fact]
    public void Input_of_at_most_508_tokens_is_one_chunk_and_one_more_token_makes_two()
    {
        Assert.Equal(508, Assert.Single(KokoroChunks.Split(Vocabulary.Encode(new string('a', 508)))).Count);
        Assert.Equal([508, 1], KokoroChunks.Split(Vocabulary.Encode(new string('a', 509))).Select(c => c.Count));
    }

    [Fact]
    public void Long_input_is_cut_after_the_last_sentence_end_that_fits()
    {
        var first = string.Concat(Enumerable.Repeat("ab, ", 60)) + "ab.";
        var second = string.Concat(Enumerable.Repeat("cd ", 150)).Trim();
        var tokens = Vocabulary.Encode(first + " " + second);

        var chunks = KokoroChunks.Split(tokens);

        Assert.Equal([first, second], chunks.Select(c => string.Concat(c.Select(t => t.Symbol))));
    }

    [Theory]
    [InlineData(",", ",")]
    [InlineData(";", ";")]
    [InlineData("", " ")]
    public void Without_a_sentence_end_the_cut_falls_back_to_a_clause_break_then_a_space(string mark, string cutAfter)
    {
        var text = string.Concat(Enumerable.Range(0, 200).Select(i => i == 120 && mark.Length > 0 ? "ab" + mark + " " : "ab "));
        var tokens = Vocabulary.Encode(text.Trim());

        var chunks = KokoroChunks.Split(tokens);

        Assert.All(chunks, c => Assert.InRange(c.Count, 1, KokoroChunks.MaxTokens));
        Assert.Equal(tokens.Where(t => t.Symbol != new Rune(' ')).Count(), chunks.Sum(c => c.Count(t => t.Symbol != new Rune(' '))));
        if (cutAfter != " ") Assert.Equal(cutAfter, chunks[0][^1].Symbol.ToString());
        else Assert.Equal(KokoroChunks.MaxTokens - 2, chunks[0].Count); // cut at the last space that fits, which is dropped
    }

    [Fact]
    public void A_run_without_any_break_is_cut_hard_at_the_limit()
    {
        var tokens = Vocabulary.Encode(new string('a', 1100));

        Assert.Equal([508, 508, 84], KokoroChunks.Split(tokens).Select(c => c.Count));
    }

    [Theory]
    [InlineData("af_bella*0.7+af_sky*0.3", "af_bella", 0.7, "af_sky", 0.3)]
    [InlineData("af_bella*7+af_sky*3", "af_bella", 0.7, "af_sky", 0.3)]
    [InlineData("af_bella+af_sky", "af_bella", 0.5, "af_sky", 0.5)]
    [InlineData(" af_bella * 1 + af_sky*1 + af_bella*2 ", "af_bella", 0.75, "af_sky", 0.25)]
    public void Blend_weights_are_normalised_to_sum_one(string spec, string a, double wa, string b, double wb)
    {
        var blend = KokoroBlend.Parse(spec);

        Assert.Equal([a, b], blend.Parts.Select(p => p.Voice));
        Assert.Equal(wa, blend.Parts[0].Weight, 9);
        Assert.Equal(wb, blend.Parts[1].Weight, 9);
    }

    [Theory]
    [InlineData("af_bella*0+af_sky", "must be a positive number, not '0'")]
    [InlineData("af_bella*-1+af_sky", "must be a positive number")]
    [InlineData("af_bella*x+af_sky", "not 'x'")]
    [InlineData("af_bella++af_sky", "empty voice name")]
    [InlineData("a+b+c+d+e+f+g+h+i", "at most 8 voices")]
    public void An_invalid_blend_says_what_is_wrong(string spec, string expected)
    {
        Assert.Contains(expected, Assert.Throws<FormatException>(() => KokoroBlend.Parse(spec)).Message);
    }
}

using System.Text;
using Orleans.Tts.Synthesis.Engines.Phonemes;
using Orleans.Tts.Synthesis.Engines.Piper;

namespace Orleans.Tts.Voices.Tests;

public sealed class PiperPhonemeTests
{
    // Entries of piper-phonemize's DEFAULT_PHONEME_ID_MAP, the map most published Piper voices use.
    private static readonly Dictionary<Rune, long[]> PiperMap = new Dictionary<string, long>
    {
        ["_"] = 0, ["^"] = 1, ["$"] = 2, [" "] = 3, [","] = 8, ["."] = 10, ["d"] = 17, ["h"] = 20, ["l"] = 24,
        ["o"] = 27, ["w"] = 35, ["ə"] = 59, ["ɜ"] = 62, ["ʊ"] = 100, ["ˈ"] = 120, ["ː"] = 122,
    }.ToDictionary(e => Rune.GetRuneAt(e.Key, 0), e => new[] { e.Value });

    private static List<Rune> Runes(string s) => [.. s.EnumerateRunes()];

    [Fact]
    public void Ids_are_bos_and_pad_then_each_phoneme_followed_by_pad_then_eos_as_piper_builds_them()
    {
        var ids = PiperPhonemeIds.Build(Runes("həlˈoʊ wˈɜːld."), PiperMap);

        long[] expected =
        [
            1, 0,
            20, 0, 59, 0, 24, 0, 120, 0, 27, 0, 100, 0, 3, 0,
            35, 0, 120, 0, 62, 0, 122, 0, 24, 0, 17, 0, 10, 0,
            2,
        ];
        Assert.Equal(expected, ids);
    }

    [Fact]
    public void A_phoneme_with_several_ids_contributes_all_of_them_before_its_pad()
    {
        var map = new Dictionary<Rune, long[]>(PiperMap) { [new Rune('a')] = [14, 15] };

        Assert.Equal([1, 0, 14, 15, 0, 20, 0, 2], PiperPhonemeIds.Build(Runes("ah"), map));
    }

    [Fact]
    public void Phonemes_missing_from_the_map_are_dropped_and_counted()
    {
        var missing = new Dictionary<Rune, int>();

        var ids = PiperPhonemeIds.Build(Runes("hʒəʒ"), PiperMap, missing);

        Assert.Equal([1, 0, 20, 0, 59, 0, 2], ids);
        Assert.Equal(2, missing[new Rune('ʒ')]);
    }

    [Fact]
    public void Clause_punctuation_is_appended_as_piper_does_and_sentence_ends_start_a_new_sentence()
    {
        VoicedClause[] clauses =
        [
            new("en-us", new PhonemeClause("həlˈoʊ", ",")),
            new("en-us", new PhonemeClause("wˈɜːld", ".")),
            new("en-us", new PhonemeClause("hˌaʊ ɑːɹ juː", "?")),
            new("en-us", new PhonemeClause("jˈɛs", ";")),
            new("en-us", new PhonemeClause("nˈoʊ", "")),
        ];

        var sentences = PiperPhonemes.Sentences(clauses).Select(s => string.Concat(s)).ToList();

        Assert.Equal(["həlˈoʊ, wˈɜːld.", "hˌaʊ ɑːɹ juː?", "jˈɛs; nˈoʊ"], sentences);
    }

    [Fact]
    public void Espeak_language_flags_are_removed_and_ipa_is_decomposed()
    {
        VoicedClause[] clauses = [new("hi", new PhonemeClause("(en)həlˈəʊ(hi) ç", "."))];

        var sentence = Assert.Single(PiperPhonemes.Sentences(clauses));

        Assert.Equal("həlˈəʊ c\u0327.", string.Concat(sentence));
    }

    [Fact]
    public void A_run_in_another_language_joins_the_sentence_as_a_separate_word()
    {
        VoicedClause[] clauses =
        [
            new("cmn-latn-pinyin", new PhonemeClause("nˈi2 χˈɑu2", "")),
            new("en-us", new PhonemeClause("wˈɜːld", ".")),
        ];

        Assert.Equal("nˈi2 χˈɑu2 wˈɜːld.", string.Concat(Assert.Single(PiperPhonemes.Sentences(clauses))));
    }

    [Fact]
    public void Text_phoneme_voices_use_the_decomposed_code_points_of_the_text()
    {
        Assert.Equal("c\u0327a va", string.Concat(Assert.Single(PiperPhonemes.Codepoints("ça va"))));
    }

    [Fact]
    public void Phoneme_silence_splits_a_sentence_into_phrases_after_the_configured_phonemes()
    {
        var silences = new Dictionary<Rune, float> { [new Rune(',')] = 0.3f };

        var phrases = PiperPhonemes.Phrases(Runes("ab, cd"), silences);

        Assert.Equal([("ab,", 0.3f), (" cd", 0f)], phrases.Select(p => (string.Concat(p.Phonemes), p.SilenceSeconds)));
    }

    [Theory]
    [InlineData("""{"espeak":{"voice":"en-us"}}""", "phoneme_id_map is missing")]
    [InlineData("""{"espeak":{"voice":"en-us"},"phoneme_id_map":{"^":[1],"$":[2]}}""", "no '_'")]
    [InlineData("""{"espeak":{"voice":"en-us"},"phoneme_id_map":{"_":[0],"^":[1],"$":[2],"ab":[3]}}""", "not one Unicode code point")]
    [InlineData("""{"phoneme_id_map":{"_":[0],"^":[1],"$":[2]}}""", "espeak.voice is missing")]
    [InlineData("""{"espeak":{"voice":"ja"},"phoneme_type":"openjtalk","phoneme_id_map":{"_":[0],"^":[1],"$":[2]}}""", "phoneme_type 'openjtalk' is not supported")]
    [InlineData("""{"espeak":{"voice":"en-us"},"num_speakers":2,"speaker_id_map":{"a":5},"phoneme_id_map":{"_":[0],"^":[1],"$":[2]}}""", "speaker_id_map['a']")]
    public void An_invalid_config_is_rejected_with_the_field_that_is_wrong(string json, string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => PiperConfig.Parse(json));

        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void A_config_reads_rate_scales_language_and_speakers()
    {
        var config = PiperConfig.Parse("""
            {"audio":{"sample_rate":16000},"espeak":{"voice":"en-us"},"language":{"code":"en_GB"},
             "inference":{"noise_scale":0.5,"length_scale":1.25,"noise_w":0.7},
             "num_speakers":2,"speaker_id_map":{"bob":1,"alice":0},"phoneme_id_map":{"_":[0],"^":[1],"$":[2]}}
            """);

        Assert.Equal((16000, "en-gb", 0.5f, 1.25f, 0.7f), (config.SampleRate, config.Language, config.NoiseScale, config.LengthScale, config.NoiseW));
        Assert.Equal([new PiperSpeaker("alice", 0), new PiperSpeaker("bob", 1)], config.Speakers);
    }
}

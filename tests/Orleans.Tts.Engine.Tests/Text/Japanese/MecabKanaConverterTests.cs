using Orleans.Tts.Synthesis.Text.Japanese;

namespace Orleans.Tts.Engine.Tests.Text.Japanese;

public sealed class MecabKanaConverterTests(MecabConverterFixture fixture) : IClassFixture<MecabConverterFixture>
{
    private readonly MecabKanaConverter _converter = fixture.Converter;

    [Fact]
    public void Reads_a_single_kanji_word()
    {
        Assert.Equal("ニホンゴ", _converter.ToKana("日本語"));
    }

    [Fact]
    public void Reads_a_verb_sentence_with_okurigana()
    {
        Assert.Equal("トーキョーにイキます", _converter.ToKana("東京に行きます"));
    }

    [Fact]
    public void Topic_particle_ha_is_spoken_wa()
    {
        Assert.Equal("キョーわヨイテンキです", _converter.ToKana("今日は良い天気です"));
    }

    [Fact]
    public void Direction_particle_he_is_spoken_e_but_other_he_is_kept()
    {
        Assert.Equal("ガッコーえ", _converter.ToKana("学校へ"));
        Assert.Equal("へび", _converter.ToKana("へび"));
    }

    [Fact]
    public void Mixed_kana_and_kanji_keeps_the_kana_and_converts_only_kanji()
    {
        var kana = _converter.ToKana("私はコーヒーを飲みました");

        Assert.Equal("ワタシわコーヒーをノミました", kana);
        Assert.False(KanaReading.ContainsKanji(kana));
    }

    [Theory]
    [InlineData("3人", "3ニン")]
    [InlineData("2024年", "2024ネン")]
    [InlineData("三人", "サンニン")]
    public void Numbers_keep_digits_and_read_kanji_counters(string text, string expected)
    {
        Assert.Equal(expected, _converter.ToKana(text));
    }

    [Fact]
    public void Punctuation_whitespace_and_latin_are_preserved()
    {
        Assert.Equal("「ニホンゴ」、OK?  ホンを  ヨム。\nHello ワールド！",
            _converter.ToKana("「日本語」、OK?  本を  読む。\nHello ワールド！"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("ひらがな と カタカナ")]
    [InlineData("Plain ASCII, with punctuation.")]
    [InlineData("ラーメン、おいしい！")]
    public void Text_without_kanji_passes_through(string text)
    {
        Assert.Equal(text, _converter.ToKana(text));
    }

    [Fact]
    public void Unknown_words_keep_their_surface()
    {
        // Latin/symbol tokens come back from IPAdic without a reading column.
        Assert.Equal("Qwzx㈱", _converter.ToKana("Qwzx㈱"));
    }

    [Fact]
    public void Long_text_is_converted_completely()
    {
        var text = string.Concat(Enumerable.Repeat("今日は良い天気です。", 2000));

        var kana = _converter.ToKana(text);

        Assert.Equal(string.Concat(Enumerable.Repeat("キョーわヨイテンキです。", 2000)), kana);
    }

    [Fact]
    public void Concurrent_callers_get_the_same_results_as_a_single_caller()
    {
        string[] inputs = ["日本語", "東京に行きます", "今日は良い天気です", "私はコーヒーを飲みました", "3人で2024年に来た", "漢字を読むのは難しい"];
        var expected = inputs.Select(_converter.ToKana).ToArray();
        var results = new string[8][];

        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            var mine = new List<string>();
            for (var round = 0; round < 200; round++)
            {
                foreach (var input in inputs)
                    mine.Add(_converter.ToKana(input));
            }
            results[t] = [.. mine];
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        var expectedAll = Enumerable.Repeat(expected, 200).SelectMany(x => x).ToArray();
        Assert.All(results, r => Assert.Equal(expectedAll, r));
    }

    [Fact]
    public void Use_after_dispose_throws()
    {
        var converter = MecabKanaConverter.Create();
        converter.Dispose();
        converter.Dispose();

        Assert.Throws<ObjectDisposedException>(() => converter.ToKana("日本語"));
    }

    [Fact]
    public void Missing_dictionary_gives_an_actionable_error()
    {
        var missing = Path.Combine(Path.GetTempPath(), "no-such-mecab-dic-" + Guid.NewGuid().ToString("N"));

        var e = Assert.Throws<MecabUnavailableException>(() => MecabKanaConverter.Create(missing));

        Assert.Contains(missing, e.Message);
        Assert.Contains("libmecab2 mecab-ipadic-utf8", e.Message);
    }

    [Fact]
    public void A_corrupt_dictionary_gives_an_actionable_error()
    {
        var dir = Directory.CreateTempSubdirectory("corrupt-mecab-dic-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "sys.dic"), "not a dictionary");

            var e = Assert.Throws<MecabUnavailableException>(() => MecabKanaConverter.Create(dir));

            Assert.Contains(dir, e.Message);
            Assert.Contains("libmecab2 mecab-ipadic-utf8", e.Message);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}

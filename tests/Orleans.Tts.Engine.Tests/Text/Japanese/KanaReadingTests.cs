using Orleans.Tts.Synthesis.Text.Japanese;

namespace Orleans.Tts.Engine.Tests.Text.Japanese;

public sealed class KanaReadingTests
{
    [Fact]
    public void Kanji_token_prefers_pronunciation_over_reading()
    {
        Assert.Equal("トーキョー", KanaReading.Choose("東京", "名詞,固有名詞,地域,一般,*,*,東京,トウキョウ,トーキョー"));
    }

    [Fact]
    public void Kanji_token_falls_back_to_reading_when_pronunciation_is_missing()
    {
        Assert.Equal("トウキョウ", KanaReading.Choose("東京", "名詞,固有名詞,地域,一般,*,*,東京,トウキョウ"));
    }

    [Theory]
    [InlineData("名詞,一般,*,*,*,*,*")]
    [InlineData("記号,一般,*,*,*,*,々,々,々")]
    [InlineData("")]
    public void Kanji_token_without_a_kana_reading_keeps_its_surface(string feature)
    {
        Assert.Null(KanaReading.Choose("鬱々", feature));
    }

    [Fact]
    public void Kana_tokens_are_kept_except_particles_ha_and_he()
    {
        Assert.Null(KanaReading.Choose("ます", "助動詞,*,*,*,特殊・マス,基本形,ます,マス,マス"));
        Assert.Null(KanaReading.Choose("は", "名詞,一般,*,*,*,*,歯,ハ,ハ"));
        Assert.Equal("わ", KanaReading.Choose("は", "助詞,係助詞,*,*,*,*,は,ハ,ワ"));
        Assert.Equal("え", KanaReading.Choose("へ", "助詞,格助詞,一般,*,*,*,へ,ヘ,エ"));
    }

    [Fact]
    public void Quoted_csv_fields_may_contain_commas()
    {
        Assert.Equal(["記号", "a,b", "x\"y", ""], KanaReading.SplitCsv("記号,\"a,b\",\"x\"\"y\","));
    }

    [Theory]
    [InlineData("日本", true)]
    [InlineData("3ヶ月", true)]
    [InlineData("𠮟る", true)]
    [InlineData("ひらがなカタカナー", false)]
    [InlineData("ABC、。！", false)]
    public void Detects_kanji(string text, bool expected)
    {
        Assert.Equal(expected, KanaReading.ContainsKanji(text));
    }

    [Fact]
    public void Mecabrc_dicdir_is_parsed_ignoring_comments()
    {
        const string rc = "; dicdir = /commented\n; comment\ndicdir = /var/lib/mecab/dic/debian\n; userdic = /x\n";

        Assert.Equal("/var/lib/mecab/dic/debian", MecabDictionaryLocator.ParseDicdir(rc));
        Assert.Null(MecabDictionaryLocator.ParseDicdir("; only comments\n"));
    }
}

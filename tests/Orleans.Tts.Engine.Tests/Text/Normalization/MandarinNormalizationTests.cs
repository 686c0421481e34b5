using Orleans.Tts.Engine.Tests.Chinese;
using Orleans.Tts.Synthesis.Text.Chinese;
using Orleans.Tts.Synthesis.Text.Normalization;

namespace Orleans.Tts.Engine.Tests.Text.Normalization;

[Collection(MandarinCollection.Name)]
public sealed class MandarinNormalizationTests(MandarinFixture fixture)
{
    private readonly MandarinTextNormalizer _normalizer = new();

    /// <summary>Written form and how a Mandarin speaker reads it, in Han characters.</summary>
    public static TheoryData<string, string> Cases() => new()
    {
        // Dates and years
        { "2026年11月22日", "二零二六年十一月二十二日" },
        { "2026-11-22", "二零二六年十一月二十二日" },
        { "2026/11/22", "二零二六年十一月二十二日" },
        { "2026.3.5号", "二零二六年三月五号" },
        { "1990年代", "一九九零年代" },
        { "2月2号", "二月二号" },
        // Times and scores
        { "13:45", "十三点四十五分" },
        { "会议9:05开始", "会议九点零五分开始" },
        { "2:00", "两点" },
        { "13:45:30", "十三点四十五分三十秒" },
        { "比分3:2", "比分三比二" },
        // Percentages, decimals, negatives, large numbers
        { "3.5%", "百分之三点五" },
        { "增长了12％", "增长了百分之十二" },
        { "0.5", "零点五" },
        { "-3", "负三" },
        { "1,234,567人", "一百二十三万四千五百六十七人" },
        { "20005", "两万零五" },
        { "1亿", "一亿" },
        { "100000000", "一亿" },
        // Money
        { "￥120", "一百二十元" },
        { "¥3.50", "三点五元" },
        { "$2", "两美元" },
        { "€1.2万", "一点二万欧元" },
        { "价格是￥1,200", "价格是一千二百元" },
        { "£5", "五英镑" },
        // Units and temperatures
        { "5kg", "五公斤" },
        { "2km", "两公里" },
        { "-5°C", "零下五摄氏度" },
        { "30℃", "三十摄氏度" },
        { "1.5L", "一点五升" },
        { "100km/h", "一百公里每小时" },
        { "200ms", "二百毫秒" },
        // Fractions, ranges, ordinals, counting
        { "3/4", "四分之三" },
        { "3-5天", "三到五天" },
        { "10~20人", "十到二十人" },
        { "第3名", "第三名" },
        { "2个", "两个" },
        // Phone numbers and codes
        { "13812345678", "一三八一二三四五六七八" },
        { "010-12345678", "零一零一二三四五六七八" },
        { "007", "零零七" },
        // Symbols
        { "3+5=8", "三加五等于八" },
        { "你&我", "你和我" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reads_written_forms_as_a_mandarin_speaker_says_them(string written, string spoken)
    {
        Assert.Equal(spoken, ChineseNumberReader.Rewrite(_normalizer.Normalize(written, "cmn")));
    }

    /// <summary>Cases whose Han spelling would mislead the front end: 一点 alone is the phrase "a little" (yi4 dian3).</summary>
    public static TheoryData<string, string> PhonemeCases()
    {
        var data = new TheoryData<string, string>();
        foreach (var row in Cases())
            if (!((string)row[1]).Contains("一点", StringComparison.Ordinal)) data.Add((string)row[0], (string)row[1]);
        return data;
    }

    [Theory]
    [InlineData("1.5L", "yi1 dian3 wu3 sheng1")]
    [InlineData("€1.2万", "yi1 dian3 er4 wan4 ou1 yuan2")]
    public void Numerals_stay_arabic_until_the_front_end_so_they_keep_counting_tones(string written, string pinyin)
    {
        Assert.Equal(pinyin, fixture.FrontEnd.ToPinyin(_normalizer.Normalize(written, "cmn")));
        Assert.StartsWith("yi4 dian3", fixture.FrontEnd.ToPinyin("一点五升")); // the same Han text read as the phrase "a little"
    }

    [Theory]
    [MemberData(nameof(PhonemeCases))]
    public void ESpeak_says_the_normalised_text_exactly_as_it_says_the_han_reading(string written, string spoken)
    {
        // Through the real front end: numerals keep their counting tones (一 in 十一) and sandhi as Han text would get.
        var pinyin = fixture.FrontEnd.ToPinyin(_normalizer.Normalize(written, "cmn"));
        Assert.Equal(fixture.FrontEnd.ToPinyin(spoken), pinyin);

        var phonemes = EspeakCli.Phonemes("cmn-latn-pinyin", pinyin);
        Assert.Equal(EspeakCli.Segments(EspeakCli.Phonemes("cmn-latn-pinyin", fixture.FrontEnd.ToPinyin(spoken))), EspeakCli.Segments(phonemes));
        Assert.DoesNotContain("(en)", phonemes);
    }

    [Theory]
    [InlineData("cmn")]
    [InlineData("zh")]
    [InlineData("zh-CN")]
    [InlineData("cmn-latn-pinyin")]
    public void Handles_mandarin_tags(string language) => Assert.True(_normalizer.Supports(language));

    [Theory]
    [InlineData("yue")]
    [InlineData("zh-yue")]
    [InlineData("ja")]
    public void Leaves_cantonese_and_japanese_alone(string language) => Assert.False(_normalizer.Supports(language));
}

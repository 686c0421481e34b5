using Orleans.Tts.Synthesis.Text.Chinese;

namespace Orleans.Tts.Engine.Tests.Chinese;

[Collection(MandarinCollection.Name)]
public sealed class MandarinFrontEndTests(MandarinFixture fixture)
{
    private string Pinyin(string text) => fixture.FrontEnd.ToPinyin(text);

    [Theory]
    [InlineData("你好世界", "ni3 hao3 shi4 jie4")]
    [InlineData("我们用部署服务。", "wo3 men5 yong4 bu4 shu3 fu2 wu4.")]
    [InlineData("中文", "zhong1 wen2")]
    [InlineData("女儿", "nv3 er2")]
    [InlineData("绿色", "lv4 se4")]
    [InlineData("谢谢", "xie4 xie5")]
    [InlineData("吗", "ma5")]
    public void Reads_characters_with_tone_numbers(string text, string expected)
    {
        Assert.Equal(expected, Pinyin(text));
    }

    [Fact]
    public void Reads_bank_as_yin2_hang2()
    {
        Assert.Equal("ta1 qu4 yin2 hang2 qu3 qian2.", Pinyin("他去银行取钱。"));
    }

    [Theory]
    [InlineData("行走", "xing2 zou3")]
    [InlineData("长大", "zhang3 da4")]
    [InlineData("很长", "hen3 chang2")]
    [InlineData("数组长度", "shu4 zu3 chang2 du4")]
    [InlineData("重要", "zhong4 yao4")]
    [InlineData("重新开始", "chong2 xin1 kai1 shi3")]
    [InlineData("音乐", "yin1 yue4")]
    [InlineData("快乐", "kuai4 le4")]
    [InlineData("我吃了", "wo3 chi1 le5")]
    [InlineData("了解", "liao3 jie3")]
    [InlineData("我的书", "wo3 de5 shu1")]
    [InlineData("目的", "mu4 di4")]
    [InlineData("请点击右侧的确认按钮", "qing3 dian3 ji1 you4 ce4 de5 que4 ren4 an4 niu3")]
    [InlineData("我觉得", "wo3 jue2 de5")]
    [InlineData("睡觉", "shui4 jiao4")]
    [InlineData("还是", "hai2 shi4")]
    [InlineData("还款", "huan2 kuan3")]
    [InlineData("我们都去", "wo3 men5 dou1 qu4")]
    [InlineData("首都", "shou3 du1")]
    [InlineData("为了", "wei4 le5")]
    [InlineData("因为", "yin1 wei4")]
    [InlineData("认为", "ren4 wei2")]
    [InlineData("什么", "shen2 me5")]
    [InlineData("东西", "dong1 xi5")]
    [InlineData("朋友", "peng2 you5")]
    [InlineData("便宜", "pian2 yi5")]
    [InlineData("地方", "di4 fang5")]
    [InlineData("本地方法", "ben3 di4 fang1 fa3")]
    [InlineData("跑得快", "pao3 de5 kuai4")]
    [InlineData("得到", "de2 dao4")]
    [InlineData("处理数据", "chu3 li3 shu4 ju4")]
    [InlineData("下载文件", "xia4 zai3 wen2 jian4")]
    [InlineData("角色", "jue2 se4")]
    [InlineData("一个", "yi2 ge4")]
    public void Reads_polyphones_and_neutral_tones_from_the_phrase_list(string text, string expected)
    {
        Assert.Equal(expected, Pinyin(text));
    }

    [Theory]
    [InlineData("一天", "yi4 tian1")]
    [InlineData("一年", "yi4 nian2")]
    [InlineData("一起", "yi4 qi3")]
    [InlineData("一样", "yi2 yang4")]
    [InlineData("一定", "yi2 ding4")]
    [InlineData("一", "yi1")]
    [InlineData("一，二", "yi1, er4")]
    [InlineData("第一", "di4 yi1")]
    [InlineData("统一", "tong3 yi1")]
    [InlineData("十一", "shi2 yi1")]
    [InlineData("一九八四", "yi1 jiu3 ba1 si4")]
    [InlineData("一百", "yi4 bai3")]
    [InlineData("一万", "yi2 wan4")]
    [InlineData("三万一千", "san1 wan4 yi4 qian1")]
    [InlineData("一月", "yi1 yue4")]
    [InlineData("看一看", "kan4 yi5 kan4")]
    public void Changes_the_tone_of_yi_by_what_follows(string text, string expected)
    {
        Assert.Equal(expected, Pinyin(text));
    }

    [Theory]
    [InlineData("不是", "bu2 shi4")]
    [InlineData("不要", "bu2 yao4")]
    [InlineData("不好", "bu4 hao3")]
    [InlineData("不来", "bu4 lai2")]
    [InlineData("不吃", "bu4 chi1")]
    [InlineData("不。", "bu4.")]
    [InlineData("对不起", "dui4 bu5 qi3")]
    [InlineData("是不是", "shi4 bu5 shi4")]
    [InlineData("不得不", "bu4 de2 bu4")]
    public void Reads_bu_as_bu2_only_before_a_fourth_tone(string text, string expected)
    {
        Assert.Equal(expected, Pinyin(text));
    }

    [Fact]
    public void Leaves_third_tone_pairs_to_eSpeak()
    {
        Assert.Equal("ni3 hao3", Pinyin("你好"));
    }

    [Theory]
    [InlineData("我有2个苹果", "wo3 you3 liang3 ge4 ping2 guo3")]
    [InlineData("1个", "yi2 ge4")]
    [InlineData("1本书", "yi4 ben3 shu1")]
    [InlineData("11个", "shi2 yi1 ge4")]
    [InlineData("21个", "er4 shi2 yi1 ge4")]
    [InlineData("1月1日", "yi1 yue4 yi1 ri4")]
    [InlineData("第1名", "di4 yi1 ming2")]
    [InlineData("2026年", "er4 ling2 er4 liu4 nian2")]
    [InlineData("增长50%", "zeng1 zhang3 bai3 fen1 zhi1 wu3 shi2")]
    [InlineData("3.5", "san1 dian3 wu3")]
    [InlineData("1.5", "yi1 dian3 wu3")]
    [InlineData("100", "yi4 bai3")]
    [InlineData("110", "yi4 bai3 yi1 shi2")]
    [InlineData("1000", "yi4 qian1")]
    [InlineData("1,000", "yi4 qian1")]
    [InlineData("10000", "yi2 wan4")]
    [InlineData("100000000", "yi2 yi4")]
    [InlineData("20005", "liang3 wan4 ling2 wu3")]
    [InlineData("-1", "fu4 yi1")]
    [InlineData("1%", "bai3 fen1 zhi1 yi1")]
    [InlineData("电话13812345678", "dian4 hua4 yi1 san1 ba1 yi1 er4 san1 si4 wu3 liu4 qi1 ba1")]
    [InlineData("共123元", "gong4 yi4 bai3 er4 shi2 san1 yuan2")]
    public void Reads_Arabic_numerals_as_Chinese_numbers(string text, string expected)
    {
        Assert.Equal(expected, Pinyin(text));
    }

    [Theory]
    [InlineData("你好，世界！", "ni3 hao3, shi4 jie4!")]
    [InlineData("你好吗？", "ni3 hao3 ma5?")]
    [InlineData("苹果、香蕉", "ping2 guo3, xiang1 jiao1")]
    [InlineData("注意：小心；", "zhu4 yi4: xiao3 xin1;")]
    [InlineData("你好,世界.", "ni3 hao3, shi4 jie4.")]
    [InlineData("等等……", "deng3 deng3...")]
    [InlineData("真的！！", "zhen1 de5!")]
    [InlineData("，你好。", "ni3 hao3.")]
    [InlineData("“你好”", "ni3 hao3")]
    [InlineData("你好。世界。", "ni3 hao3. shi4 jie4.")]
    public void Keeps_punctuation_as_ASCII_so_eSpeak_pauses(string text, string expected)
    {
        Assert.Equal(expected, Pinyin(text));
    }

    [Theory]
    [InlineData("你好abc世界", "ni3 hao3 shi4 jie4")]
    [InlineData("你好😀", "ni3 hao3")]
    [InlineData("你\uE000好", "ni3 hao3")]
    [InlineData("你\uD800好", "ni3 hao3")]
    [InlineData("こんにちは你好", "ni3 hao3")]
    [InlineData("Hello", "")]
    [InlineData("", "")]
    [InlineData("你好 世界", "ni3 hao3 shi4 jie4")]
    [InlineData("①②", "")]
    public void Drops_characters_it_cannot_read(string text, string expected)
    {
        Assert.Equal(expected, Pinyin(text));
    }

    [Fact]
    public void Drops_Han_characters_that_have_no_Mandarin_reading()
    {
        // U+3402 has a Unihan definition but no kMandarin value.
        Assert.Equal("ni3 hao3", Pinyin("你\u3402好"));
    }

    [Fact]
    public void Reads_compatibility_ideographs_as_their_unified_form()
    {
        Assert.Equal(Pinyin("\u8C48"), Pinyin("\uF900"));
        Assert.NotEqual("", Pinyin("\uF900"));
    }

    [Fact]
    public void Reads_characters_outside_the_basic_plane()
    {
        Assert.Equal("he1", Pinyin("\U00020000"));
    }

    [Fact]
    public void Writes_only_pinyin_letters_tone_digits_and_pauses()
    {
        var pinyin = Pinyin("2026年，我们的服务增长了50%！你觉得这个价格（¥3.5）便宜吗？部署完成——谢谢。");

        Assert.Matches("^[a-z1-5 ,.?!;:]+$", pinyin);
        Assert.Matches(@"^([a-z]+[1-5][,.?!;:]* )*[a-z]+[1-5][,.?!;:]*$", pinyin);
    }

    [Fact]
    public void Gives_the_same_answer_from_many_threads()
    {
        const string text = "2026年，我们的银行服务重新部署了一百个节点，不是吗？";
        var expected = Pinyin(text);

        var results = new string[256];
        Parallel.For(0, results.Length, i => results[i] = Pinyin(text));

        Assert.All(results, r => Assert.Equal(expected, r));
    }
}

using Orleans.Tts.Synthesis.Text.Chinese;

namespace Orleans.Tts.Engine.Tests.Chinese;

public sealed class ChineseNumberReaderTests
{
    [Theory]
    [InlineData(0, "零")]
    [InlineData(1, "一")]
    [InlineData(2, "二")]
    [InlineData(10, "十")]
    [InlineData(11, "十一")]
    [InlineData(15, "十五")]
    [InlineData(20, "二十")]
    [InlineData(99, "九十九")]
    [InlineData(100, "一百")]
    [InlineData(101, "一百零一")]
    [InlineData(110, "一百一十")]
    [InlineData(123, "一百二十三")]
    [InlineData(200, "二百")]
    [InlineData(1000, "一千")]
    [InlineData(1001, "一千零一")]
    [InlineData(1010, "一千零一十")]
    [InlineData(1100, "一千一百")]
    [InlineData(2000, "两千")]
    [InlineData(2222, "两千二百二十二")]
    [InlineData(10000, "一万")]
    [InlineData(10001, "一万零一")]
    [InlineData(10010, "一万零一十")]
    [InlineData(10100, "一万零一百")]
    [InlineData(11000, "一万一千")]
    [InlineData(20005, "两万零五")]
    [InlineData(22000, "两万二千")]
    [InlineData(100000, "十万")]
    [InlineData(150000, "十五万")]
    [InlineData(1000000, "一百万")]
    [InlineData(12345678, "一千二百三十四万五千六百七十八")]
    [InlineData(100000000, "一亿")]
    [InlineData(100000001, "一亿零一")]
    [InlineData(100010000, "一亿零一万")]
    [InlineData(110000000, "一亿一千万")]
    [InlineData(200000000, "两亿")]
    [InlineData(1234567890, "十二亿三千四百五十六万七千八百九十")]
    [InlineData(1000000000000, "一万亿")]
    [InlineData(-3, "负三")]
    public void Reads_integers_as_cardinals(long value, string expected)
    {
        Assert.Equal(expected, ChineseNumberReader.Cardinal(value));
    }

    [Theory]
    [InlineData("123", "一百二十三")]
    [InlineData("１２３", "一百二十三")]
    [InlineData("3.5", "三点五")]
    [InlineData("0.5", "零点五")]
    [InlineData("3.14", "三点一四")]
    [InlineData("10.05", "十点零五")]
    [InlineData("-3", "负三")]
    [InlineData("-0.5", "负零点五")]
    [InlineData("−12", "负十二")]
    [InlineData("温度-3度", "温度负三度")]
    [InlineData("50%", "百分之五十")]
    [InlineData("50％", "百分之五十")]
    [InlineData("3.5%", "百分之三点五")]
    [InlineData("100%", "百分之一百")]
    [InlineData("-5%", "负百分之五")]
    [InlineData("2026年", "二零二六年")]
    [InlineData("2000年", "二零零零年")]
    [InlineData("1990年代", "一九九零年代")]
    [InlineData("12345年", "一万二千三百四十五年")]
    [InlineData("2026", "两千零二十六")]
    [InlineData("123456789012", "一二三四五六七八九零一二")]
    [InlineData("电话13812345678", "电话一三八一二三四五六七八")]
    [InlineData("99999999999", "九百九十九亿九千九百九十九万九千九百九十九")]
    [InlineData("007", "零零七")]
    [InlineData("0755", "零七五五")]
    [InlineData("1,000", "一千")]
    [InlineData("12,345", "一万二千三百四十五")]
    [InlineData("1,234,567", "一百二十三万四千五百六十七")]
    [InlineData("1,2", "一,二")]
    [InlineData("1234,567", "一千二百三十四,五百六十七")]
    [InlineData("2个", "两个")]
    [InlineData("2万", "两万")]
    [InlineData("2月2号", "二月二号")]
    [InlineData("12个", "十二个")]
    [InlineData("2.5个", "二点五个")]
    [InlineData("3-5天", "三到五天")]
    [InlineData("第1名", "第一名")]
    [InlineData("没有数字", "没有数字")]
    public void Rewrites_numerals_in_text(string text, string expected)
    {
        Assert.Equal(expected, ChineseNumberReader.Rewrite(text));
    }

    [Fact]
    public void Reports_how_much_text_a_numeral_spans()
    {
        Assert.True(ChineseNumberReader.TryRead("增长3.5%以上", 2, out var numeral));

        Assert.Equal(new ChineseNumeral(4, "百分之三点五"), numeral);
    }

    [Theory]
    [InlineData("abc", 0)]
    [InlineData("-", 0)]
    [InlineData("-x", 0)]
    [InlineData("3-5", 1)]
    public void Finds_no_numeral_where_there_is_none(string text, int start)
    {
        Assert.False(ChineseNumberReader.TryRead(text, start, out _));
    }
}

using Orleans.Tts.Synthesis.Text.Chinese;

namespace Orleans.Tts.Engine.Tests.Chinese;

public sealed class PinyinToneNumbersTests
{
    [Theory]
    [InlineData("zhōng", "zhong1")]
    [InlineData("wén", "wen2")]
    [InlineData("hǎo", "hao3")]
    [InlineData("shì", "shi4")]
    [InlineData("de", "de5")]
    [InlineData("nǚ", "nv3")]
    [InlineData("lǜ", "lv4")]
    [InlineData("lüè", "lve4")]
    [InlineData("lǘ", "lv2")]
    [InlineData("nü", "nv5")]
    [InlineData("ń", "n2")]
    [InlineData("ḿ", "m2")]
    [InlineData("ǹg", "ng4")]
    [InlineData("Ān", "an1")]
    public void Converts_tone_marks_to_tone_numbers(string marked, string numbered)
    {
        Assert.Equal(numbered, PinyinToneNumbers.FromToneMarks(marked));
    }

    [Theory]
    [InlineData("")]
    [InlineData("zhōng wén")]
    [InlineData("hǎǒ")]
    [InlineData("ni3")]
    [InlineData("中")]
    [InlineData("zhuangzhuang")]
    public void Rejects_text_that_is_not_one_syllable(string text)
    {
        Assert.Null(PinyinToneNumbers.FromToneMarks(text));
    }

    [Theory]
    [InlineData("ni3", 3)]
    [InlineData("de5", 5)]
    [InlineData(",", 0)]
    public void Reads_the_tone_number_back(string syllable, int tone)
    {
        Assert.Equal(tone, PinyinToneNumbers.ToneOf(syllable));
    }
}

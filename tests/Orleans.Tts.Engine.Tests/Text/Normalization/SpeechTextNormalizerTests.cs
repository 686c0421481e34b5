using Orleans.Tts.Synthesis.Text.Normalization;

namespace Orleans.Tts.Engine.Tests.Text.Normalization;

public sealed class SpeechTextNormalizerTests
{
    private readonly SpeechTextNormalizer _normalizer = SpeechTextNormalizer.Default;

    [Theory]
    [InlineData("en-us", "It is 5 km away.", "It is five kilometers away.")]
    [InlineData("cmn", "距离5km。", "距离5公里。")]
    [InlineData("cmn", "我们用 Kubernetes 部署了 3 个服务", "我们用 Kubernetes 部署了 3 个服务")]
    [InlineData("cmn", "联系 john@example.com 吧", "联系 john at example dot com 吧")]
    [InlineData("en-us", "The sign said 出口 at 5 pm.", "The sign said 出口 at five p m.")]
    [InlineData("ja", "メールは bob@example.com です", "メールは bob at example dot com です")]
    [InlineData("fr", "Il est 5 heures", "Il est 5 heures")]
    public void Each_script_run_is_read_by_its_language_and_the_voice_reads_the_whole(string language, string text, string expected)
    {
        Assert.Equal(expected, _normalizer.Normalize(text, language));
    }
}

using Orleans.Tts.Synthesis;
using Orleans.Tts.Synthesis.Text;
using Orleans.Tts.Synthesis.Text.Normalization;
using Orleans.Tts.Synthesis.Workers;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Engine.Tests.Timings;

/// <summary>The source maps of word timings never change what is spoken, and they point where they should.</summary>
public sealed class PlannerMapTests
{
    private static readonly VoiceInfo English = new("espeak:en-us", "en", "espeak", ["en-us"], 22050, null);
    private static readonly VoiceInfo Mandarin = new("espeak:cmn", "cmn", "espeak", ["cmn"], 22050, null);

    [Theory]
    [InlineData("It costs $120 on 2026-11-22, about 3.5 km away. Dr. Smith said e.g. 50% of 1/2 & more at 10:30 pm!", "en-us")]
    [InlineData("Call +1 (555) 123-4567 or mail a.b@example.com; visit https://example.com/x now.\nNew line 3rd 1990s.", "en-us")]
    [InlineData("我们用 Kubernetes 部署服务。价格是￥120，温度-5°C，速度5km/h。", "cmn")]
    [InlineData("Mixed 中文 text with 3 numbers 和 2026年11月22日.", "en-us")]
    public void Planning_with_maps_gives_the_same_sentences_as_without(string text, string language)
    {
        var planner = new SynthesisPlanner(SpeechTextNormalizer.Default, 40);
        var voice = language == "cmn" ? Mandarin : English;
        var plain = planner.Plan(new SynthesisRequest(text, voice.Id), _ => voice);
        var mapped = planner.Plan(new SynthesisRequest(text, voice.Id, Words: true), _ => voice);
        Assert.Equal(plain.Select(i => i.Text), mapped.Select(i => i.Text));
        Assert.All(mapped, item =>
        {
            var map = MappedText.FromPairs(item.Text!, item.Source);
            Assert.NotNull(map);
            var (start, end) = map!.Source;
            Assert.InRange(start, 0, text.Length);
            Assert.InRange(end, start, text.Length);
        });
    }

    [Fact]
    public void A_normalised_written_form_maps_every_word_to_the_whole_form()
    {
        var mapped = SpeechTextNormalizer.Default.Normalize(MappedText.Identity("Pay $120 now."), "en-us");
        Assert.Equal("Pay one hundred twenty dollars now.", mapped.Text);
        var hundred = mapped.Text.IndexOf("hundred", StringComparison.Ordinal);
        Assert.Equal((4, 8), mapped.SourceOf(hundred, hundred + 7));
        var now = mapped.Text.IndexOf("now", StringComparison.Ordinal);
        Assert.Equal((9, 12), mapped.SourceOf(now, now + 3));
    }

    [Fact]
    public void Pinyin_syllables_map_to_their_han_and_a_numbers_syllables_to_its_digits()
    {
        var pinyin = TextFrontEnds.Mandarin.ToPinyinMapped("我们有120个。");
        Assert.Equal(TextFrontEnds.Mandarin.ToPinyin("我们有120个。"), pinyin.Text);
        var words = pinyin.Text.Split(' ');
        var at = 0;
        var spans = new List<(int, int)>();
        foreach (var w in words)
        {
            spans.Add(pinyin.SourceOf(at, at + w.Length));
            at += w.Length + 1;
        }
        Assert.Equal((0, 1), spans[0]); // wo3 → 我
        Assert.Equal((1, 2), spans[1]); // men → 们
        Assert.Equal((3, 6), spans[3]); // yi4 … → 120
        Assert.Equal((3, 6), spans[5]); // … er4 shi2 → 120
    }
}

/// <summary>Engines without word times (Piper and Kokoro models that output no durations) get the sentence as one span.</summary>
public sealed class SentenceSpanTests
{
    [Fact]
    public void A_clip_without_words_is_one_word_spanning_its_sentence_over_its_sounding_stretch()
    {
        var samples = new short[1000];
        for (var i = 200; i < 700; i++) samples[i] = (short)(i % 2 == 0 ? 3000 : -3000);
        var source = MappedText.Identity("Hello there.", offset: 10);
        var words = WordMapping.ToInput(new AudioClip(22050, samples), source);
        Assert.Equal([new WordTiming(10, 22, 200, 700)], words);
    }

    [Fact]
    public void Engine_words_of_one_written_form_merge_and_words_on_nothing_are_dropped()
    {
        var source = MappedText.Uniform("one hundred", 3, 7);
        var clip = new AudioClip(22050, new short[100], [new WordTiming(0, 3, 0, 10), new WordTiming(4, 11, 12, 40)]);
        Assert.Equal([new WordTiming(3, 7, 0, 40)], WordMapping.ToInput(clip, source));
    }
}

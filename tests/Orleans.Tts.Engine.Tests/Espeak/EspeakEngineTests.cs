using System.Diagnostics;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Engine.Tests.Espeak;

[Collection(EspeakCollection.Name)]
public sealed class EspeakEngineTests(EspeakEngineFixture fixture)
{
    private static readonly SynthesisOptions Normal = SynthesisOptions.Default;

    [Fact]
    public void Lists_the_required_languages_with_stable_ids()
    {
        var ids = fixture.Engine.Voices.Select(v => v.Id).ToHashSet();
        foreach (var id in new[] { "espeak:en-us", "espeak:en-gb", "espeak:cmn", "espeak:yue", "espeak:ja", "espeak:ko", "espeak:de", "espeak:fr-fr", "espeak:cmn-latn-pinyin", "espeak:yue-latn-jyutping" })
            Assert.Contains(id, ids);
        Assert.True(ids.Count > 80, $"Only {ids.Count} voices listed.");
        Assert.All(fixture.Engine.Voices, v =>
        {
            Assert.Equal("espeak", v.Engine);
            Assert.Equal(22050, v.SampleRate);
            Assert.NotEmpty(v.Languages);
        });
    }

    [Fact]
    public async Task Speaks_an_english_sentence_as_audible_speech_at_the_voice_rate()
    {
        var clip = await fixture.Engine.SynthesizeSentenceAsync("espeak:en-us", "The quick brown fox jumps over the lazy dog.", Normal, CancellationToken.None);
        Assert.Equal(22050, clip.SampleRate);
        AudioAssert.IsSpeech(clip, 1.5, 5.0);
    }

    [Fact]
    public async Task Longer_text_gives_longer_audio()
    {
        var shortClip = await fixture.Engine.SynthesizeSentenceAsync("espeak:en-us", "Hello there.", Normal, CancellationToken.None);
        var longClip = await fixture.Engine.SynthesizeSentenceAsync("espeak:en-us",
            "Hello there, this sentence is a good deal longer than the other one, and it keeps going for a while.", Normal, CancellationToken.None);
        Assert.True(longClip.Duration > shortClip.Duration * 3, $"{longClip.Duration} vs {shortClip.Duration}");
    }

    [Theory]
    [InlineData(2.0, 0.35, 0.65)]
    [InlineData(0.5, 1.6, 2.4)]
    [InlineData(0.25, 3.2, 4.8)]
    [InlineData(4.0, 0.18, 0.32)]
    public async Task Speed_scales_duration(double speed, double minRatio, double maxRatio)
    {
        const string text = "Speech synthesis turns written words into sound that people can hear.";
        var normal = await fixture.Engine.SynthesizeSentenceAsync("espeak:en-us", text, Normal, CancellationToken.None);
        var changed = await fixture.Engine.SynthesizeSentenceAsync("espeak:en-us", text, new SynthesisOptions(speed), CancellationToken.None);
        Assert.InRange(changed.Duration / normal.Duration, minRatio, maxRatio);
    }

    [Theory]
    [InlineData("9999999999999")]
    [InlineData("電話 1,234,567,890,123 號")]
    [InlineData("12345678901234.5")]
    public async Task A_13_or_14_digit_number_in_cantonese_is_spoken_without_crashing_the_engine_host(string text)
    {
        // libespeak-ng aborts on these in its Cantonese voice ("buffer overflow detected"); they are read digit by digit.
        var restarts = fixture.Engine.Restarts;
        var clip = await fixture.Engine.SynthesizeSentenceAsync("espeak:yue", text, Normal, CancellationToken.None);

        AudioAssert.IsSpeech(clip, 1.5, 20.0);
        Assert.Equal(restarts, fixture.Engine.Restarts);
    }

    [Fact]
    public async Task Unknown_voice_is_refused_with_the_voice_named()
    {
        var e = await Assert.ThrowsAsync<UnknownVoiceException>(() =>
            fixture.Engine.SynthesizeSentenceAsync("espeak:xx-nope", "Hello.", Normal, CancellationToken.None).AsTask());
        Assert.Contains("espeak:xx-nope", e.Message);
    }

    [Fact]
    public async Task Killing_an_engine_host_mid_load_loses_no_request_and_a_replacement_starts()
    {
        var before = fixture.Engine.Restarts;
        var victim = fixture.Engine.HostProcessIds.First();
        var requests = Enumerable.Range(0, 12)
            .Select(i => fixture.Engine.SynthesizeSentenceAsync("espeak:en-us", $"Request number {i} keeps the hosts busy for a little while.", Normal, CancellationToken.None).AsTask())
            .ToList();
        Process.GetProcessById(victim).Kill();
        var clips = await Task.WhenAll(requests);
        Assert.All(clips, c => AudioAssert.IsSpeech(c, 1.0, 8.0));

        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (fixture.Engine.HostProcessIds.Count < 2 || fixture.Engine.HostProcessIds.Contains(victim))
        {
            Assert.True(DateTime.UtcNow < deadline, "No replacement engine host started within 60 s.");
            await Task.Delay(50);
        }
        Assert.True(fixture.Engine.Restarts > before);
        var after = await fixture.Engine.SynthesizeSentenceAsync("espeak:en-us", "Still speaking after a crash.", Normal, CancellationToken.None);
        AudioAssert.IsSpeech(after, 0.8, 5.0);
    }
}

using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Tts.Engine.Tests.Espeak;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Synthesis.Engines.Espeak;
using Orleans.Tts.Synthesis.Workers;
using Xunit.Abstractions;

namespace Orleans.Tts.Engine.Tests.Timings;

/// <summary>
/// Word timings of eSpeak voices through the worker pool (normalisation, sentence splitting, the Mandarin front end, script
/// segmentation, the engine host's word events and its silence trimming), checked against the input and the audio.
/// </summary>
[Collection(EspeakCollection.Name)]
public sealed class WordTimingTests(EspeakEngineFixture fixture, ITestOutputHelper output)
{
    private async Task<(AudioClip Clip, List<WordTiming> Words)> SpeakAsync(string input, string voice, double speed = 1.0)
    {
        await using var pool = new SynthesisWorkerPool([fixture.Engine], new WorkerPoolOptions { Parallelism = 2 }, NullLogger<SynthesisWorkerPool>.Instance);
        await pool.StartAsync(CancellationToken.None);
        var clips = new List<AudioClip>();
        var words = new List<WordTiming>();
        var at = 0;
        await foreach (var clip in pool.StreamAsync(new SynthesisRequest(input, voice, speed, Words: true)))
        {
            Assert.NotNull(clip.Words);
            // Sentence clips join end to end: their words move by the audio before them.
            words.AddRange(clip.Words!.Select(w => w with { StartSample = w.StartSample + at, EndSample = w.EndSample + at }));
            at += clip.Samples.Length;
            clips.Add(clip);
        }
        var all = AudioClip.Concat(clips[0].SampleRate, clips);
        foreach (var w in words) output.WriteLine($"{w.TextStart}–{w.TextEnd} '{input[w.TextStart..w.TextEnd]}' {w.StartSample}–{w.EndSample}");
        return (all, words);
    }

    [Theory]
    [InlineData("The quick brown fox jumps over the lazy dog. It ran away, far away!", "espeak:en-us")]
    [InlineData("我们用 Kubernetes 部署服务。价格是120元。", "espeak:cmn")]
    public async Task Job_sentences_packed_by_their_engine_host_carry_the_words_of_the_same_text_spoken_interactively(string input, string voice)
    {
        var (_, interactive) = await SpeakAsync(input, voice);
        // Sentences are packed only by background hosts (nice 10).
        await using var engine = new EspeakEngine(new EspeakEngineOptions { Hosts = 1, BackgroundHosts = 1 },
            new EspeakTextFrontEnd(TextFrontEnds.Mandarin.ToPinyin, TextFrontEnds.Japanese.ToKana, TextFrontEnds.Mandarin.ToPinyinMapped),
            NullLogger<EspeakEngine>.Instance);
        await using var pool = new SynthesisWorkerPool([engine], new WorkerPoolOptions { Parallelism = 2 }, NullLogger<SynthesisWorkerPool>.Instance);
        await pool.StartAsync(CancellationToken.None);
        var samples = new List<short>();
        var words = new List<WordTiming>();
        var rate = 0;
        await foreach (var sentence in pool.StreamInBackgroundAsync(new SynthesisRequest(input, voice, Words: true), maxWorkers: 1, packed: true))
        {
            // Every sentence leaves the engine host packed, its words worked out there and mapped to the input here.
            using var packed = sentence.Packed;
            Assert.NotNull(packed);
            Assert.Null(sentence.Clip);
            var pcm = new short[packed.SampleCount];
            Orleans.Tts.Audio.Codecs.PackedPcm.Unpack(packed.Bytes, pcm);
            words.AddRange(packed.Words!.Select(w => w with { StartSample = w.StartSample + samples.Count, EndSample = w.EndSample + samples.Count }));
            samples.AddRange(pcm);
            rate = packed.SampleRate;
        }
        var texts = WordTimingAssert.Valid(input, new AudioClip(rate, samples.ToArray()), words);
        Assert.Equal(interactive.Select(w => input[w.TextStart..w.TextEnd]), texts);
        // The same times, to within eSpeak's own variation between two syntheses (its frication noise is random): a word's end
        // that kept the pause after it (a comma's) would be a tenth of a second or more late.
        foreach (var (job, spoken) in words.Zip(interactive))
        {
            Assert.InRange(job.StartSample, spoken.StartSample - rate / 20, spoken.StartSample + rate / 20);
            Assert.InRange(job.EndSample, spoken.EndSample - rate / 20, spoken.EndSample + rate / 20);
        }
    }

    [Fact]
    public async Task English_words_map_to_their_spans_and_sound_where_they_are_said()
    {
        const string input = "The quick brown fox jumps over the lazy dog. It ran away!";
        var (clip, words) = await SpeakAsync(input, "espeak:en-us");
        var texts = WordTimingAssert.Valid(input, clip, words);
        Assert.Equal(["The", "quick", "brown", "fox", "jumps", "over", "the", "lazy", "dog", "It", "ran", "away"], texts);
    }

    [Fact]
    public async Task A_word_espeak_speaks_with_the_one_before_without_an_event_of_its_own_joins_that_word_s_span()
    {
        // eSpeak NG reads "of the" as one word and reports one word event for it: "the" must not fall out of the words (captions).
        const string input = "Part 10 of the long reading goes on about the mill.";
        var (clip, words) = await SpeakAsync(input, "espeak:en-us");
        var texts = WordTimingAssert.Valid(input, clip, words);
        Assert.Equal(["Part", "10", "of the", "long", "reading", "goes", "on", "about", "the", "mill"], texts);
    }

    [Fact]
    public async Task Money_dates_and_numbers_are_one_span_each_although_spoken_as_several_words()
    {
        const string input = "It costs $120 on 2026-11-22, about 3.5 km away.";
        var (clip, words) = await SpeakAsync(input, "espeak:en-us");
        var texts = WordTimingAssert.Valid(input, clip, words);
        Assert.Contains("$120", texts);
        Assert.Contains("2026-11-22", texts);
        Assert.Contains("3.5 km", texts);
        Assert.Equal(["It", "costs", "$120", "on", "2026-11-22", "about", "3.5 km", "away"], texts);
        // "$120" is three words of speech ("one hundred twenty dollars"): far longer than the one-syllable word before it.
        var money = words[texts.IndexOf("$120")];
        var on = words[texts.IndexOf("on")];
        Assert.True(money.EndSample - money.StartSample > 2 * (on.EndSample - on.StartSample));
    }

    [Fact]
    public async Task Mandarin_words_are_spans_of_han_characters()
    {
        const string input = "我们用部署服务。价格是120元。";
        var (clip, words) = await SpeakAsync(input, "espeak:cmn");
        var texts = WordTimingAssert.Valid(input, clip, words);
        Assert.All(texts, t => Assert.True(t.All(c => c is >= '\u4e00' and <= '\u9fff' || char.IsAsciiDigit(c)), $"'{t}' is not Han text."));
        Assert.Contains("我", texts);
        Assert.Contains("务", texts);
        // A number's syllables (一百二十) map to its digits as one span.
        Assert.Contains(texts, t => t.Contains("120", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mixed_mandarin_and_english_map_each_run_to_its_own_text()
    {
        const string input = "我们用 Kubernetes 部署服务。";
        var (clip, words) = await SpeakAsync(input, "espeak:cmn");
        var texts = WordTimingAssert.Valid(input, clip, words);
        Assert.Contains("Kubernetes", texts);
        Assert.Contains("们", texts);
        Assert.Contains("署", texts);
        Assert.True(texts.IndexOf("们") < texts.IndexOf("Kubernetes") && texts.IndexOf("Kubernetes") < texts.IndexOf("署"));
    }

    [Fact]
    public async Task Double_speed_halves_the_times()
    {
        const string input = "The quick brown fox jumps over the lazy dog.";
        var (normalClip, normal) = await SpeakAsync(input, "espeak:en-us");
        var (fastClip, fast) = await SpeakAsync(input, "espeak:en-us", speed: 2.0);
        WordTimingAssert.Valid(input, fastClip, fast);
        Assert.Equal(normal.Select(w => (w.TextStart, w.TextEnd)), fast.Select(w => (w.TextStart, w.TextEnd)));
        // The last word's start: eSpeak's fixed 20 ms lead is the same at both speeds.
        var lead = 22050 / 50;
        var ratio = (double)(fast[^1].StartSample - lead) / (normal[^1].StartSample - lead);
        Assert.InRange(ratio, 0.4, 0.6);
    }

    [Fact]
    public async Task Slow_speed_scales_the_times_through_the_time_stretch()
    {
        const string input = "The quick brown fox jumps over the lazy dog.";
        var (slowClip, slow) = await SpeakAsync(input, "espeak:en-us", speed: 0.25);
        WordTimingAssert.Valid(input, slowClip, slow);
        Assert.Equal(9, slow.Count);
    }
}

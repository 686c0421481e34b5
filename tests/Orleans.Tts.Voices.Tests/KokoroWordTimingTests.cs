using Orleans.Tts.Synthesis;
using Orleans.Tts.Synthesis.Engines.Kokoro;
using Orleans.Tts.Synthesis.Engines.Phonemes;
using Orleans.Tts.Synthesis.Text;
using Orleans.Tts.Synthesis.Workers;
using Orleans.Tts.Voices.Tests.Fixtures;

namespace Orleans.Tts.Voices.Tests;

/// <summary>
/// Word times of Kokoro voices from the model's per-id durations (kokoro-durations.onnx: each id lasts a number of 600-sample
/// frames set by its id), and the sentence span of a model without them. The scripted phonemizer reads the text as IPA, so
/// the written words are the phoneme words.
/// </summary>
[Collection(VoicesCollection.Name)]
public sealed class KokoroWordTimingTests(VoiceModels models) : IDisposable
{
    private static readonly SynthesisOptions Timed = SynthesisOptions.Default with { Words = true };
    private readonly ModelsDirectory _dir = new(models);
    private readonly ScriptedPhonemizer _phonemizer = new();
    private readonly KokoroVocabulary _vocabulary = KokoroVocabulary.Load();

    public void Dispose() => _dir.Dispose();

    private async Task<KokoroEngine> StartAsync(string fixtureModel, IPhonemizer? phonemizer = null)
    {
        _dir.AddKokoroModel(fixtureModel);
        _dir.AddVoice("ef_test", 510, row => (row + 1) / 1024f);
        var engine = _dir.Kokoro(phonemizer ?? _phonemizer);
        await engine.StartAsync(CancellationToken.None);
        return engine;
    }

    /// <summary>Samples the fixture model gives <paramref name="phonemes"/> (their ids' frames).</summary>
    private int Samples(string phonemes, double speed = 1) => (int)phonemes.EnumerateRunes().Sum(r =>
        _vocabulary.TryGetId(r, out var id) ? models.KokoroDurations.Frames(id, speed) * models.KokoroDurations.Frame : 0);

    private int Pad(double speed = 1) => (int)(models.KokoroDurations.Frames(0, speed) * models.KokoroDurations.Frame);

    [Theory]
    [InlineData(1.0)]
    [InlineData(2.0)]
    public async Task Words_start_and_end_where_their_tokens_durations_put_them(double speed)
    {
        // l lasts 6 frames and a 8 (at speed 1), so "lala" lasts exactly twice "la".
        const string sentence = "la lala.";
        await using var engine = await StartAsync("kokoro-durations.onnx");

        var clip = await engine.SynthesizeSentenceAsync("kokoro:ef_test", sentence, Timed with { Speed = speed }, default);

        var words = clip.Words;
        Assert.NotNull(words);
        Assert.Equal(["la", "lala"], words.Select(w => sentence[w.TextStart..w.TextEnd]));
        Assert.Equal((0, 2), (words[0].TextStart, words[0].TextEnd));
        Assert.Equal((3, 7), (words[1].TextStart, words[1].TextEnd));

        var first = Pad(speed);
        Assert.Equal(first, words[0].StartSample);
        Assert.Equal(first + Samples("la", speed), words[0].EndSample);
        Assert.Equal(words[0].EndSample + Samples(" ", speed), words[1].StartSample);
        Assert.Equal(words[1].StartSample + Samples("lala", speed), words[1].EndSample);
        Assert.Equal(2 * (words[0].EndSample - words[0].StartSample), words[1].EndSample - words[1].StartSample);

        // The audio is the durations' sum; after the last word come only the full stop's pause and the closing pad.
        Assert.Equal(Pad(speed) + Samples(sentence, speed) + Pad(speed), clip.Samples.Length);
        Assert.Equal(clip.Samples.Length - Samples(".", speed) - Pad(speed), words[^1].EndSample);
    }

    [Fact]
    public async Task Words_reach_the_input_through_the_worker_mapping_with_their_times_in_order()
    {
        const string input = "Said: la lala, lolo.";
        var sentence = input[6..];
        await using var engine = await StartAsync("kokoro-durations.onnx");

        var clip = await engine.SynthesizeSentenceAsync("kokoro:ef_test", sentence, Timed, default);
        var words = WordMapping.ToInput(clip, MappedText.Identity(sentence, 6));

        Assert.Equal(["la", "lala", "lolo"], words.Select(w => input[w.TextStart..w.TextEnd]));
        Assert.All(words, w => Assert.True(w.StartSample < w.EndSample && w.EndSample <= clip.Samples.Length));
        Assert.All(words.Zip(words.Skip(1)), p => Assert.True(p.First.EndSample <= p.Second.StartSample));
        // The comma's pause lies between "lala" and "lolo".
        Assert.Equal(words[1].EndSample + Samples(", "), words[2].StartSample);
    }

    [Fact]
    public async Task Times_run_on_across_the_inferences_of_a_long_sentence()
    {
        // 200 words of 3 tokens: two inferences (508 tokens each at most).
        var sentence = string.Join(' ', Enumerable.Repeat("la", 200)) + ".";
        await using var engine = await StartAsync("kokoro-durations.onnx");

        var clip = await engine.SynthesizeSentenceAsync("kokoro:ef_test", sentence, Timed, default);

        var words = clip.Words!;
        Assert.Equal(200, words.Count);
        Assert.All(words, w => Assert.Equal(Samples("la"), w.EndSample - w.StartSample));
        Assert.All(words.Zip(words.Skip(1)), p => Assert.True(p.First.EndSample <= p.Second.StartSample));
        // Where the second inference starts, its leading pad comes before the next word.
        var gaps = words.Zip(words.Skip(1), (a, b) => b.StartSample - a.EndSample).ToList();
        Assert.Equal(198, gaps.Count(g => g == Samples(" ")));
        Assert.Single(gaps, g => g == 2 * Pad());
        Assert.Equal(clip.Samples.Length - Samples(".") - Pad(), words[^1].EndSample);
    }

    [Fact]
    public async Task Written_words_spoken_as_one_share_their_clause_entry_and_the_other_clauses_keep_their_words()
    {
        // As eSpeak speaks "of the" as one word: "la lala" is spoken "lala" in the first clause.
        const string sentence = "la lala lo, lo lala.";
        await using var engine = await StartAsync("kokoro-durations.onnx", new FixedPhonemizer(new("lalala lo", ","), new("lo lala", ".")));

        var clip = await engine.SynthesizeSentenceAsync("kokoro:ef_test", sentence, Timed, default);

        var words = clip.Words;
        Assert.NotNull(words);
        Assert.Equal(["la lala lo", "lo", "lala"], words.Select(w => sentence[w.TextStart..w.TextEnd]));
        Assert.Equal(Pad(), words[0].StartSample);
        Assert.Equal(Pad() + Samples("lalala lo"), words[0].EndSample);
        Assert.Equal(words[0].EndSample + Samples(", "), words[1].StartSample);
        Assert.Equal(words[1].StartSample + Samples("lo"), words[1].EndSample);
    }

    [Fact]
    public async Task When_neither_words_nor_clauses_pair_up_the_sentence_span_is_kept()
    {
        const string sentence = "la lala lo lo";
        await using var engine = await StartAsync("kokoro-durations.onnx", new FixedPhonemizer(new("lala", ","), new("lo lo", "")));

        var clip = await engine.SynthesizeSentenceAsync("kokoro:ef_test", sentence, Timed, default);

        Assert.Null(clip.Words);
        var word = Assert.Single(WordMapping.ToInput(clip, MappedText.Identity(sentence)));
        Assert.Equal((0, sentence.Length), (word.TextStart, word.TextEnd));
    }

    [Fact]
    public async Task A_model_without_durations_gives_the_sentence_span()
    {
        const string sentence = "la lala.";
        await using var engine = await StartAsync("kokoro.onnx");

        var clip = await engine.SynthesizeSentenceAsync("kokoro:ef_test", sentence, Timed, default);

        Assert.Null(clip.Words);
        var word = Assert.Single(WordMapping.ToInput(clip, MappedText.Identity(sentence)));
        Assert.Equal((0, sentence.Length), (word.TextStart, word.TextEnd));
        Assert.InRange(word.EndSample, word.StartSample + 1, clip.Samples.Length);
    }

    [Fact]
    public async Task Untimed_requests_get_no_words_from_a_model_with_durations()
    {
        await using var engine = await StartAsync("kokoro-durations.onnx");

        var clip = await engine.SynthesizeSentenceAsync("kokoro:ef_test", "la lala.", SynthesisOptions.Default, default);

        Assert.Null(clip.Words);
        Assert.Equal(Pad() + Samples("la lala.") + Pad(), clip.Samples.Length);
    }

    [Fact]
    public void Written_words_leave_out_their_punctuation_and_runs_without_letters_or_digits()
    {
        const string sentence = "“Hello,” she said — 120 km/h!";

        var words = KokoroWords.Written(sentence);

        Assert.Equal(["Hello", "she", "said", "120", "km/h"], words.Select(w => sentence[w.Start..w.End]));
    }

    /// <summary>Phonemises any text as the given clauses.</summary>
    private sealed class FixedPhonemizer(params PhonemeClause[] clauses) : IPhonemizer
    {
        public ValueTask<IReadOnlyList<PhonemeClause>> PhonemizeAsync(string espeakVoice, string text, char? tie, CancellationToken cancellationToken) =>
            ValueTask.FromResult<IReadOnlyList<PhonemeClause>>(clauses);
    }
}

using Orleans.Tts.Synthesis.Text;

namespace Orleans.Tts.Synthesis.Workers;

/// <summary>A sentence clip's words, from the engine's view (spans of the sentence it was given) to the request's (spans of its input).</summary>
public static class WordMapping
{
    /// <summary>Below this peak (16-bit) a sample is silence when the sentence's sounding stretch is looked for.</summary>
    private const int SilencePeak = 64;

    /// <summary>
    /// Each word through <paramref name="source"/> to a span of the input. Words that read one written form ("$120": one hundred
    /// twenty dollars; a number's pinyin syllables) map to overlapping spans and become one word, from the first's start to the
    /// last's end. An engine that gave no words (a neural voice whose model outputs no durations) gets one word: the whole
    /// sentence's span over its sounding stretch.
    /// </summary>
    public static IReadOnlyList<WordTiming> ToInput(AudioClip clip, MappedText source) =>
        clip.Words is null ? SentenceSpan(clip, source) : ToInput(clip.Words, source);

    /// <summary>An engine's words (spans of the sentence it was given) as spans of the input, joined as for a clip's.</summary>
    public static IReadOnlyList<WordTiming> ToInput(IReadOnlyList<WordTiming> engineWords, MappedText source)
    {
        var words = new List<WordTiming>(engineWords.Count);
        foreach (var word in engineWords)
        {
            var (start, end) = source.SourceOf(word.TextStart, word.TextEnd);
            if (end <= start) continue;
            if (words.Count > 0 && start < words[^1].TextEnd)
            {
                var last = words[^1];
                words[^1] = last with { TextEnd = Math.Max(last.TextEnd, end), EndSample = Math.Max(last.EndSample, word.EndSample) };
                continue;
            }
            words.Add(new WordTiming(start, end, word.StartSample, word.EndSample));
        }
        return words;
    }

    private static IReadOnlyList<WordTiming> SentenceSpan(AudioClip clip, MappedText source)
    {
        var (start, end) = source.Source;
        var samples = clip.Samples;
        var first = 0;
        while (first < samples.Length && Math.Abs((int)samples[first]) < SilencePeak) first++;
        var last = samples.Length;
        while (last > first && Math.Abs((int)samples[last - 1]) < SilencePeak) last--;
        return end > start && last > first ? [new WordTiming(start, end, first, last)] : [];
    }

    /// <summary>The words of a clip resampled from <paramref name="from"/> Hz to <paramref name="to"/> Hz.</summary>
    public static IReadOnlyList<WordTiming>? Rescale(IReadOnlyList<WordTiming>? words, int from, int to) =>
        words?.Select(w => w with
        {
            StartSample = (int)((long)w.StartSample * to / from),
            EndSample = (int)((long)w.EndSample * to / from),
        }).ToList();
}

using Orleans.Tts.Grains.Jobs;
using Orleans.Tts.Jobs;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Grains.Tests;

/// <summary>A job unit's words: planned sentence positions, the map from the unit's text to the job's input, and the stored form.</summary>
public sealed class JobUnitWordsTests
{
    private const string Input = "  First one here.\n\nSecond, then — a third? Yes!  Fourth line\nfifth.";

    [Fact]
    public void Each_unit_line_starts_where_its_sentence_stands_in_the_input()
    {
        var units = new JobPlanner(new JobOptions { UnitSentences = 2 }, 300).Plan(Input, words: true);
        Assert.Equal(3, units.Count);
        foreach (var unit in units)
        {
            var lines = unit.Text.Split('\n');
            Assert.Equal(lines.Length, unit.LineStarts!.Count);
            for (var k = 0; k < lines.Length; k++) Assert.Equal(lines[k], Input.Substring(unit.LineStarts[k], lines[k].Length));
        }
        Assert.All(new JobPlanner(new JobOptions { UnitSentences = 2 }, 300).Plan(Input), u => Assert.Null(u.LineStarts));
    }

    [Fact]
    public void Words_of_a_unit_s_clips_get_input_spans_and_unit_times_and_survive_storage()
    {
        var unit = new JobPlanner(new JobOptions { UnitSentences = 2 }, 300).Plan(Input, words: true)[0];
        Assert.Equal("First one here.\nSecond, then — a third?", unit.Text);
        // Two sentence clips: the words of each are in samples of its clip and spans of the unit's text (the worker pool maps them so).
        var first = new AudioClip(1000, new short[500], [new WordTiming(0, 5, 10, 200), new WordTiming(10, 14, 220, 400)]);
        var second = new AudioClip(1000, new short[300], [new WordTiming(16, 22, 5, 100), new WordTiming(33, 38, 150, 250)]);
        var words = JobUnitWords.ToInput(unit.Text, unit.LineStarts!, [(first.Words, first.Samples.Length), (second.Words, second.Samples.Length)]);

        Assert.Equal(["First", "here", "Second", "third"], words.Select(w => Input[w.TextStart..w.TextEnd]));
        Assert.Equal([10, 220, 505, 650], words.Select(w => w.StartSample));
        Assert.Equal([200, 400, 600, 750], words.Select(w => w.EndSample));

        var stored = JobUnitWords.Encode(words);
        Assert.True(stored.Length <= 2 + words.Count * 8, $"{stored.Length} bytes for {words.Count} words");
        Assert.Equal(words, JobUnitWords.Decode(stored));
        Assert.Empty(JobUnitWords.Decode(JobUnitWords.Encode([])));
        Assert.Throws<InvalidDataException>(() => JobUnitWords.Decode([9, 1, 2]));
    }
}

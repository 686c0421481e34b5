using Orleans.Tts.Synthesis.Text;
using Orleans.Tts.Jobs;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>One unit of a job: consecutive sentences claimed and synthesised together.</summary>
public sealed record PlannedUnit(string Text, int Sentences);

/// <summary>Cuts a job's text into units of <see cref="JobOptions.UnitSentences"/> sentences (the silo's sentence splitter).</summary>
public sealed class JobPlanner(JobOptions options, int maxSentenceChars)
{
    private readonly SentenceSplitter _splitter = new(maxSentenceChars);

    public IReadOnlyList<PlannedUnit> Plan(string input)
    {
        var sentences = _splitter.Split(input);
        if (sentences.Count == 0) return [new PlannedUnit(input.Trim(), 1)];
        var units = new List<PlannedUnit>((sentences.Count + options.UnitSentences - 1) / options.UnitSentences);
        for (var i = 0; i < sentences.Count; i += options.UnitSentences)
        {
            var count = Math.Min(options.UnitSentences, sentences.Count - i);
            // Each sentence on its own line: the engine's splitter sees the same sentence boundaries again.
            units.Add(new PlannedUnit(string.Join('\n', sentences.Skip(i).Take(count)), count));
        }
        return units;
    }
}

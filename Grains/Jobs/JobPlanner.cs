using Orleans.Tts.Synthesis.Text;
using Orleans.Tts.Jobs;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>One unit of a job: consecutive sentences claimed and synthesised together.</summary>
/// <param name="LineStarts">With words: where each sentence (line of <paramref name="Text"/>) starts in the job's input.</param>
public sealed record PlannedUnit(string Text, int Sentences, IReadOnlyList<int>? LineStarts = null);

/// <summary>Cuts a job's text into units of <see cref="JobOptions.UnitSentences"/> sentences (the silo's sentence splitter).</summary>
public sealed class JobPlanner(JobOptions options, int maxSentenceChars)
{
    private readonly SentenceSplitter _splitter = new(maxSentenceChars);

    /// <param name="words">Also note where each sentence stands in <paramref name="input"/>, so the units' words can be mapped to it.</param>
    public IReadOnlyList<PlannedUnit> Plan(string input, bool words = false)
    {
        // Every sentence is a trimmed piece of the input: its map says where. Line starts are int[], not collection expressions:
        // the job's input is grain state in JSON, and the compiler's list types for those cannot be read back (a job never resumed).
        var sentences = _splitter.Split(MappedText.Identity(input));
        if (sentences.Count == 0)
        {
            var trimmed = MappedText.Identity(input).Trim();
            return [new PlannedUnit(trimmed.Text, 1, words ? new[] { trimmed.Length > 0 ? trimmed.Source.Start : 0 } : null)];
        }
        var units = new List<PlannedUnit>((sentences.Count + options.UnitSentences - 1) / options.UnitSentences);
        for (var i = 0; i < sentences.Count; i += options.UnitSentences)
        {
            var unit = sentences.Skip(i).Take(Math.Min(options.UnitSentences, sentences.Count - i)).ToList();
            // Each sentence on its own line: the engine's splitter sees the same sentence boundaries again.
            units.Add(new PlannedUnit(string.Join('\n', unit.Select(s => s.Text)), unit.Count, words ? unit.Select(s => s.Source.Start).ToArray() : null));
        }
        return units;
    }
}

using Orleans.Tts.Synthesis.Text.Chinese;

namespace Orleans.Tts.Engine.Tests.Chinese;

[Collection(MandarinCollection.Name)]
public sealed class MandarinPhraseTableTests(MandarinFixture fixture)
{
    [Fact]
    public void Has_a_few_hundred_entries()
    {
        Assert.InRange(MandarinPhraseTable.Default.Count, 300, 1_000);
    }

    [Fact]
    public void Uses_only_syllables_that_exist_in_Mandarin()
    {
        // Any syllable Unihan uses with any tone, plus the neutral tone of each.
        var known = fixture.Readings.DistinctSyllables().Select(s => s[..^1]).ToHashSet();

        var unknown = MandarinPhraseTable.Default.Entries
            .SelectMany(e => e.Value.Select(s => (Phrase: e.Key, Syllable: s)))
            .Where(x => !known.Contains(x.Syllable[..^1]))
            .Select(x => $"{x.Phrase}:{x.Syllable}")
            .ToList();

        Assert.Empty(unknown);
    }

    [Fact]
    public void Agrees_with_Unihan_on_at_least_one_character_of_most_multi_character_entries()
    {
        // Guards against typos such as a shifted line: most entries share a reading with Unihan somewhere.
        var misfits = MandarinPhraseTable.Default.Entries
            .Where(e => e.Key.Length > 1)
            .Where(e => !e.Key.Select((c, i) => fixture.Readings.TryGetReading(c, out var r) && r[..^1] == e.Value[i][..^1]).Any(same => same))
            .Select(e => e.Key)
            .ToList();

        Assert.Empty(misfits);
    }

    [Fact]
    public void Rejects_a_line_with_the_wrong_number_of_syllables()
    {
        var error = Assert.Throws<FormatException>(() => MandarinPhraseTable.Parse("银行 yin2"));

        Assert.Contains("银行", error.Message);
    }

    [Fact]
    public void Rejects_syllables_without_tone_numbers()
    {
        Assert.Throws<FormatException>(() => MandarinPhraseTable.Parse("银行 yin hang2"));
    }

    [Fact]
    public void Rejects_duplicate_entries()
    {
        Assert.Throws<FormatException>(() => MandarinPhraseTable.Parse("银行 yin2 hang2\n银行 yin2 hang2"));
    }

    [Fact]
    public void Ignores_comments_and_blank_lines()
    {
        var table = MandarinPhraseTable.Parse("# heading\n\n银行 yin2 hang2 # bank\n");

        Assert.Equal(1, table.Count);
        Assert.True(table.TryGet("银行", out var syllables));
        Assert.Equal(new[] { "yin2", "hang2" }, syllables.ToArray());
    }
}

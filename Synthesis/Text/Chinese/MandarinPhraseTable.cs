using System.Collections.Immutable;

namespace Orleans.Tts.Synthesis.Text.Chinese;

/// <summary>
/// Words whose reading differs from reading each character on its own: polyphones (银行 yin2 hang2), neutral tones
/// (朋友 peng2 you5), and fixed 一/不 readings (第一 di4 yi1). Single characters listed here replace Unihan's
/// customary reading where modern usage prefers another one. Immutable.
/// </summary>
public sealed class MandarinPhraseTable
{
    private readonly Dictionary<string, ImmutableArray<string>> _entries;
    private readonly Dictionary<string, ImmutableArray<string>>.AlternateLookup<ReadOnlySpan<char>> _lookup;

    private MandarinPhraseTable(Dictionary<string, ImmutableArray<string>> entries)
    {
        _entries = entries;
        _lookup = entries.GetAlternateLookup<ReadOnlySpan<char>>();
        MaxLength = entries.Count == 0 ? 0 : entries.Keys.Max(k => k.Length);
    }

    public static MandarinPhraseTable Default { get; } = Parse(MandarinPhrases.Text);

    /// <summary>Longest entry, in characters.</summary>
    public int MaxLength { get; }

    public int Count => _entries.Count;

    public IEnumerable<KeyValuePair<string, ImmutableArray<string>>> Entries => _entries;

    public bool TryGet(ReadOnlySpan<char> phrase, out ImmutableArray<string> syllables) =>
        _lookup.TryGetValue(phrase, out syllables);

    /// <summary>Parses lines of <c>词 ci2</c> (one numbered syllable per character); <c>#</c> starts a comment.</summary>
    public static MandarinPhraseTable Parse(string text)
    {
        var entries = new Dictionary<string, ImmutableArray<string>>(StringComparer.Ordinal);
        var lineNumber = 0;
        foreach (var rawLine in text.AsSpan().EnumerateLines())
        {
            lineNumber++;
            var line = rawLine;
            var hash = line.IndexOf('#');
            if (hash >= 0)
                line = line[..hash];
            line = line.Trim();
            if (line.IsEmpty)
                continue;

            var parts = line.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var phrase = parts[0];
            var syllables = parts[1..];
            // Phrases are BMP-only, so one UTF-16 char is one character is one syllable.
            if (syllables.Length != phrase.Length || phrase.Any(char.IsSurrogate))
                throw new FormatException($"Phrase line {lineNumber} '{line}': one syllable per (BMP) character expected.");
            foreach (var syllable in syllables)
            {
                if (!IsNumberedSyllable(syllable))
                    throw new FormatException($"Phrase line {lineNumber} '{line}': '{syllable}' is not numbered pinyin.");
            }
            if (!entries.TryAdd(phrase, [.. syllables]))
                throw new FormatException($"Phrase line {lineNumber}: '{phrase}' is listed twice.");
        }
        return new MandarinPhraseTable(entries);
    }

    private static bool IsNumberedSyllable(string syllable) =>
        syllable.Length >= 2
        && syllable[^1] is >= '1' and <= '5'
        && !syllable.AsSpan(0, syllable.Length - 1).ContainsAnyExceptInRange('a', 'z');
}

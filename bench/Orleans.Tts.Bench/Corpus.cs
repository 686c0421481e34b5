namespace Orleans.Tts.Bench;

/// <summary>A fixed list of sentences and the voice that reads them.</summary>
public sealed record Corpus(string Name, string VoiceId, IReadOnlyList<string> Sentences)
{
    /// <summary>The corpora shipped next to the tool: 200 English sentences (10–20 words) and 60 Mandarin ones.</summary>
    public static IReadOnlyList<Corpus> LoadDefault()
    {
        var dir = Path.Combine(AppContext.BaseDirectory, "Corpus");
        return [Load("en", "espeak:en-us", Path.Combine(dir, "english.txt")), Load("cmn", "espeak:cmn", Path.Combine(dir, "mandarin.txt"))];
    }

    private static Corpus Load(string name, string voiceId, string path)
    {
        var sentences = File.ReadAllLines(path).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        return sentences.Count > 0 ? new Corpus(name, voiceId, sentences) : throw new InvalidDataException($"The corpus {path} is empty.");
    }
}

using Orleans.Tts.Synthesis;
using Orleans.Tts.Synthesis.Text;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>
/// A job unit's words, stored beside its audio for the job's captions: spans of the job's input and sample times within the
/// unit (a reader shifts them by the units before it, whose lengths are known only when all have run). Stored compactly: a
/// format byte, the count, then per word four variable-length integers — the gap after the previous word's span, the span's
/// length, the gap after the previous word's end sample and the word's length in samples — about 6 bytes a word.
/// </summary>
public static class JobUnitWords
{
    private const byte Format = 1;

    /// <summary>
    /// The words of a unit's clips (in order: each clip's words in samples of that clip and spans of the unit's
    /// <paramref name="text"/>, and its length in samples) in samples of the unit and spans of the job's input, whose line <c>k</c>
    /// starts at <paramref name="lineStarts"/>[k].
    /// </summary>
    public static IReadOnlyList<WordTiming> ToInput(string text, IReadOnlyList<int> lineStarts, IEnumerable<(IReadOnlyList<WordTiming>? Words, int Samples)> clips)
    {
        var lines = text.Split('\n');
        if (lines.Length != lineStarts.Count)
            throw new ArgumentException($"The unit has {lines.Length} lines but {lineStarts.Count} line starts.", nameof(lineStarts));
        var map = new MappedText.Builder(text.Length);
        for (var k = 0; k < lines.Length; k++)
        {
            if (k > 0) map.Insert("\n");
            map.Append(MappedText.Identity(lines[k], lineStarts[k]));
        }
        var source = map.Build();
        var words = new List<WordTiming>();
        var offset = 0;
        foreach (var (clipWords, samples) in clips)
        {
            foreach (var word in clipWords ?? [])
            {
                var (start, end) = source.SourceOf(word.TextStart, word.TextEnd);
                if (end > start) words.Add(new WordTiming(start, end, offset + word.StartSample, offset + word.EndSample));
            }
            offset += samples;
        }
        return words;
    }

    public static byte[] Encode(IReadOnlyList<WordTiming> words)
    {
        using var output = new MemoryStream(2 + words.Count * 6);
        using var writer = new BinaryWriter(output);
        writer.Write(Format);
        writer.Write7BitEncodedInt(words.Count);
        int textEnd = 0, sampleEnd = 0;
        foreach (var w in words)
        {
            // Spans and times rise word by word; the zigzag keeps a rare step back (overlapping words) small too.
            writer.Write7BitEncodedInt(ZigZag(w.TextStart - textEnd));
            writer.Write7BitEncodedInt(w.TextEnd - w.TextStart);
            writer.Write7BitEncodedInt(ZigZag(w.StartSample - sampleEnd));
            writer.Write7BitEncodedInt(Math.Max(0, w.EndSample - w.StartSample));
            (textEnd, sampleEnd) = (w.TextEnd, w.EndSample);
        }
        writer.Flush();
        return output.ToArray();
    }

    public static IReadOnlyList<WordTiming> Decode(byte[] stored)
    {
        if (stored.Length == 0 || stored[0] != Format) throw new InvalidDataException("Unknown job words format.");
        using var reader = new BinaryReader(new MemoryStream(stored, 1, stored.Length - 1));
        var count = reader.Read7BitEncodedInt();
        if (count < 0 || count > stored.Length) throw new InvalidDataException("A job unit's word count is out of range.");
        var words = new WordTiming[count];
        int textEnd = 0, sampleEnd = 0;
        for (var i = 0; i < count; i++)
        {
            var textStart = textEnd + UnZigZag(reader.Read7BitEncodedInt());
            textEnd = textStart + reader.Read7BitEncodedInt();
            var startSample = sampleEnd + UnZigZag(reader.Read7BitEncodedInt());
            sampleEnd = startSample + reader.Read7BitEncodedInt();
            words[i] = new WordTiming(textStart, textEnd, startSample, sampleEnd);
        }
        return words;
    }

    private static int ZigZag(int value) => (value << 1) ^ (value >> 31);

    private static int UnZigZag(int value) => (int)((uint)value >> 1) ^ -(value & 1);
}

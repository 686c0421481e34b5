using Orleans.Tts.Synthesis.Text;

namespace Orleans.Tts.Synthesis.Engines.Espeak;

/// <summary>eSpeak NG's word events (from the engine host) as the words of a sentence's clip.</summary>
internal static class EspeakWords
{
    /// <summary>Below this peak (16-bit) a 5 ms window is a pause, not speech (eSpeak's own silence is exact zeros or near them).</summary>
    private const int SilencePeak = 64;

    /// <summary>
    /// Each event's segment position (code points) through the segment's map to a span of the sentence; a word runs from its
    /// event to the next word's (or the end of the speech), less the pause before the next word. <paramref name="stretch"/>
    /// scales the times of audio made longer after eSpeak (speeds below its slowest rate).
    /// </summary>
    public static IReadOnlyList<WordTiming> From(IReadOnlyList<int> events, int speechEnd, IReadOnlyList<EspeakSegment> segments,
        IReadOnlyList<MappedText> maps, short[] pcm, int sampleRate, double stretch) =>
        From(events, speechEnd, pcm.Length, segments, maps, SoundEnds(events, speechEnd, pcm, sampleRate, stretch), stretch);

    /// <summary>
    /// The words from their events and where each one's sound ends (<see cref="SoundEnds"/>, worked out where the samples are:
    /// the engine host, for a sentence that leaves it packed), in audio of <paramref name="sampleCount"/> samples.
    /// </summary>
    public static IReadOnlyList<WordTiming> From(IReadOnlyList<int> events, int speechEnd, int sampleCount, IReadOnlyList<EspeakSegment> segments,
        IReadOnlyList<MappedText> maps, IReadOnlyList<int> soundEnds, double stretch = 1.0)
    {
        var count = events.Count / 4;
        if (soundEnds.Count != count) throw new InvalidDataException($"{soundEnds.Count} word ends for {count} word events.");
        var words = new List<WordTiming>(count);
        var end = Math.Min((int)Math.Round(speechEnd * stretch), sampleCount);
        for (var w = 0; w < count; w++)
        {
            var segment = events[4 * w];
            if (segment < 0 || segment >= segments.Count) continue;
            var text = segments[segment].Text;
            var from = Utf16Index(text, events[4 * w + 1] - 1);
            var to = Utf16Index(text, events[4 * w + 1] - 1 + Math.Max(events[4 * w + 2], 1));
            if (to <= from) continue;
            to = Joined(text, to, NextStart(events, w, segment, text));
            var (textStart, textEnd) = maps[segment].SourceOf(from, to);
            if (textEnd <= textStart) continue; // a joining space or a mark eSpeak spoke of its own accord
            var (start, next) = Bounds(events, w, end, stretch);
            words.Add(new WordTiming(textStart, textEnd, start, Math.Clamp(soundEnds[w], start, next)));
        }
        return words;
    }

    /// <summary>For each word event, where its sound ends: its span up to the next event, less the pause before that one.</summary>
    public static int[] SoundEnds(IReadOnlyList<int> events, int speechEnd, ReadOnlySpan<short> pcm, int sampleRate, double stretch = 1.0)
    {
        var ends = new int[events.Count / 4];
        var end = Math.Min((int)Math.Round(speechEnd * stretch), pcm.Length);
        for (var w = 0; w < ends.Length; w++)
        {
            var (start, next) = Bounds(events, w, end, stretch);
            ends[w] = SpeechEnd(pcm, start, next, sampleRate);
        }
        return ends;
    }

    /// <summary>Where a word event's audio starts, and where the next later event (or the speech) begins.</summary>
    private static (int Start, int Next) Bounds(IReadOnlyList<int> events, int w, int end, double stretch)
    {
        var start = Math.Min((int)Math.Round(events[4 * w + 3] * stretch), end);
        var next = end;
        for (var n = w + 1; n < events.Count / 4; n++)
        {
            var at = (int)Math.Round(events[4 * n + 3] * stretch);
            if (at > start) { next = Math.Min(at, end); break; }
        }
        return (Math.Max(start, 0), Math.Max(next, 0));
    }

    /// <summary>Where the next word event of the same segment starts in its text (its end when none follows).</summary>
    private static int NextStart(IReadOnlyList<int> events, int w, int segment, string text)
    {
        for (var n = w + 1; n < events.Count / 4; n++)
        {
            if (events[4 * n] != segment) break;
            var at = Utf16Index(text, events[4 * n + 1] - 1);
            if (at > 0) return at;
        }
        return text.Length;
    }

    /// <summary>
    /// A word's end, taken over the words eSpeak spoke with it and sent no event for ("of the long": one event for "of the"), up to
    /// the last letter or digit before <paramref name="next"/>, so every written word belongs to some word's span.
    /// </summary>
    private static int Joined(string text, int to, int next)
    {
        var end = to;
        for (var i = to; i < Math.Min(next, text.Length); i++)
            if (char.IsLetterOrDigit(text[i])) end = i + 1;
        return end;
    }

    /// <summary>The UTF-16 index of code point <paramref name="codePoint"/> of the text (eSpeak counts characters, .NET strings units).</summary>
    private static int Utf16Index(string text, int codePoint)
    {
        var i = 0;
        for (var c = 0; c < codePoint && i < text.Length; c++)
            i += char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]) ? 2 : 1;
        return Math.Min(i, text.Length);
    }

    /// <summary>
    /// Where a word's sound ends before <paramref name="next"/>: the pause that follows it (a comma's, a clause's) is cut back in
    /// 5 ms windows, so the word's span is its sound. Reads only the samples of that pause.
    /// </summary>
    private static int SpeechEnd(ReadOnlySpan<short> pcm, int start, int next, int sampleRate)
    {
        var window = Math.Max(1, sampleRate / 200);
        var end = next;
        while (end - window > start)
        {
            var peak = 0;
            for (var i = end - window; i < end; i++) peak = Math.Max(peak, Math.Abs((int)pcm[i]));
            if (peak >= SilencePeak) break;
            end -= window;
        }
        return end;
    }
}

using System.Globalization;
using System.Text;

namespace Orleans.Tts.Speech;

/// <summary>
/// Captions from word timings: WebVTT and SubRip (SRT) cues of a few words each, the cue text being the client's own text
/// between the first word's start and the last word's end (so punctuation and the written forms stay as written). A pure
/// function of the words and the input, for the jobs' caption routes (not wired yet) and any caller holding timed words.
/// </summary>
public static class Captions
{
    /// <param name="MaxChars">A cue ends before it would hold more characters than this (a subtitle line).</param>
    /// <param name="MaxGapMs">A pause at least this long between words starts a new cue.</param>
    public sealed record Options(int MaxChars = 42, double MaxGapMs = 600)
    {
        public static Options Default { get; } = new();
    }

    public sealed record Cue(double StartMs, double EndMs, string Text);

    /// <summary>The words grouped into cues in order; a cue never spans a line break of the input.</summary>
    public static IReadOnlyList<Cue> Cues(string input, IReadOnlyList<SpokenWord> words, Options? options = null)
    {
        options ??= Options.Default;
        var cues = new List<Cue>();
        var first = 0;
        for (var i = 1; i <= words.Count; i++)
        {
            if (i < words.Count)
            {
                var (start, end) = (words[first].TextStart, words[i].TextEnd);
                var gap = words[i].StartMs - words[i - 1].EndMs;
                var span = input.AsSpan(start, end - start);
                if (span.Length <= options.MaxChars && gap < options.MaxGapMs && !span.ContainsAny('\n', '\r')) continue;
            }
            if (words.Count == 0) break;
            var text = input[words[first].TextStart..words[i - 1].TextEnd];
            cues.Add(new Cue(words[first].StartMs, words[i - 1].EndMs, string.Join(' ', text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries))));
            first = i;
        }
        return cues;
    }

    /// <summary>A WebVTT file (<c>text/vtt</c>).</summary>
    public static string WebVtt(string input, IReadOnlyList<SpokenWord> words, Options? options = null)
    {
        var vtt = new StringBuilder("WEBVTT\n");
        foreach (var cue in Cues(input, words, options))
        {
            // In a cue's text '&' and '<' start markup and "-->" ends it: escaped, they are shown as written.
            var text = cue.Text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
                .Replace(">", "&gt;", StringComparison.Ordinal);
            vtt.Append('\n').Append(Time(cue.StartMs, '.')).Append(" --> ").Append(Time(cue.EndMs, '.')).Append('\n').Append(text).Append('\n');
        }
        return vtt.ToString();
    }

    /// <summary>A SubRip file (<c>application/x-subrip</c>): numbered cues, comma before the milliseconds.</summary>
    public static string Srt(string input, IReadOnlyList<SpokenWord> words, Options? options = null)
    {
        var srt = new StringBuilder();
        var n = 0;
        foreach (var cue in Cues(input, words, options))
        {
            if (n > 0) srt.Append('\n');
            srt.Append(++n).Append('\n').Append(Time(cue.StartMs, ',')).Append(" --> ").Append(Time(cue.EndMs, ',')).Append('\n').Append(cue.Text).Append('\n');
        }
        return srt.ToString();
    }

    private static string Time(double ms, char separator)
    {
        var t = TimeSpan.FromMilliseconds(Math.Max(0, Math.Round(ms)));
        return string.Create(CultureInfo.InvariantCulture, $"{(int)t.TotalHours:00}:{t.Minutes:00}:{t.Seconds:00}{separator}{t.Milliseconds:000}");
    }
}

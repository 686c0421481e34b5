using System.Globalization;
using System.Text.RegularExpressions;
using Xunit;

namespace Orleans.Tts.Testing;

/// <summary>A WebVTT or SRT file parsed strictly (the header, numbering and timestamp forms each format requires), and the checks a player relies on.</summary>
public sealed partial record CaptionFile(IReadOnlyList<CaptionFile.Cue> Cues)
{
    public sealed record Cue(TimeSpan Start, TimeSpan End, string Text);

    public static CaptionFile ParseVtt(string vtt)
    {
        Assert.StartsWith("WEBVTT\n", vtt);
        var blocks = vtt["WEBVTT\n".Length..].Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        return new CaptionFile([.. blocks.Select(b => ParseCue(b.Trim('\n').Split('\n'), 0, '.'))]);
    }

    public static CaptionFile ParseSrt(string srt)
    {
        var blocks = srt.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        var cues = new List<Cue>();
        for (var i = 0; i < blocks.Length; i++)
        {
            var lines = blocks[i].Trim('\n').Split('\n');
            Assert.Equal((i + 1).ToString(CultureInfo.InvariantCulture), lines[0]);
            cues.Add(ParseCue(lines, 1, ','));
        }
        return new CaptionFile(cues);
    }

    private static Cue ParseCue(string[] lines, int timing, char separator)
    {
        var match = Timing().Match(lines[timing]);
        Assert.True(match.Success && match.Groups["sep1"].Value[0] == separator && match.Groups["sep2"].Value[0] == separator,
            $"'{lines[timing]}' is not a cue timing of the form 00:00:01{separator}234 --> 00:00:02{separator}345");
        var text = string.Join(' ', lines.Skip(timing + 1));
        Assert.False(string.IsNullOrWhiteSpace(text), $"the cue at {lines[timing]} has no text");
        return new Cue(Time(match, "a"), Time(match, "b"), text);
    }

    private static TimeSpan Time(Match m, string p) => new TimeSpan(0, int.Parse(m.Groups[p + "h"].Value, CultureInfo.InvariantCulture),
        int.Parse(m.Groups[p + "m"].Value, CultureInfo.InvariantCulture), int.Parse(m.Groups[p + "s"].Value, CultureInfo.InvariantCulture),
        int.Parse(m.Groups[p + "ms"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<ah>\d{2}):(?<am>[0-5]\d):(?<as>[0-5]\d)(?<sep1>[.,])(?<ams>\d{3}) --> (?<bh>\d{2}):(?<bm>[0-5]\d):(?<bs>[0-5]\d)(?<sep2>[.,])(?<bms>\d{3})$")]
    private static partial Regex Timing();

    /// <summary>
    /// The captions of <paramref name="input"/> spoken in <paramref name="audio"/>: cues in order and not overlapping, each within the
    /// audio, the last ending within half a second of the audio's end, and the cues' words, joined, the input's words.
    /// </summary>
    public void AssertCaptions(string input, TimeSpan audio)
    {
        Assert.NotEmpty(Cues);
        var previous = TimeSpan.Zero;
        foreach (var cue in Cues)
        {
            Assert.True(cue.Start >= previous, $"the cue '{cue.Text}' starts at {cue.Start} before the previous one ended ({previous})");
            Assert.True(cue.End > cue.Start, $"the cue '{cue.Text}' does not last ({cue.Start} --> {cue.End})");
            Assert.True(cue.End <= audio + TimeSpan.FromMilliseconds(1), $"the cue '{cue.Text}' ends at {cue.End}, after the audio ({audio})");
            previous = cue.End;
        }
        Assert.True((audio - Cues[^1].End).Duration() <= TimeSpan.FromSeconds(0.5), $"the last cue ends at {Cues[^1].End}, the audio at {audio}");
        Assert.Equal(Words(input), Words(string.Join(' ', Cues.Select(c => c.Text))));
    }

    /// <summary>Letters and digits in runs, as a reader would compare them (punctuation and markup escapes aside).</summary>
    private static string[] Words(string text) =>
        [.. WordRun().Matches(text.Replace("&amp;", "&").Replace("&lt;", "<").Replace("&gt;", ">")).Select(m => m.Value)];

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex WordRun();
}

using Orleans.Tts.Speech;

namespace Orleans.Tts.Api.Tests;

/// <summary>WebVTT and SRT from word timings (the pure renderer the jobs' caption routes will use).</summary>
public sealed class CaptionsTests
{
    private const string Input = "It costs $120 <today> & more.\nNext line here, then a long pause. After it.";

    private static readonly SpokenWord[] Words =
    [
        W("It", 0, 120), W("costs", 130, 400), W("$120", 420, 1300), W("today", 1310, 1700), W("more", 1750, 2000),
        W("Next", 2100, 2300), W("line", 2310, 2500), W("here", 2510, 2800), W("then", 2900, 3100), W("a", 3110, 3150),
        W("long", 3160, 3400), W("pause", 3410, 3900), W("After", 5000, 5300), W("it", 5310, 5500),
    ];

    /// <summary>The word's span is found in the input in order, as the pipeline would have mapped it.</summary>
    private static SpokenWord W(string text, double start, double end)
    {
        var at = Input.IndexOf(text, Cursor, StringComparison.Ordinal);
        Cursor = at + text.Length;
        return new SpokenWord(text, at, at + text.Length, start, end);
    }

    private static int Cursor;

    [Fact]
    public void Webvtt_cues_hold_the_input_as_written_never_cross_a_line_or_a_long_pause_and_escape_markup()
    {
        var vtt = Captions.WebVtt(Input, Words);
        Assert.Equal("""
            WEBVTT

            00:00:00.000 --> 00:00:02.000
            It costs $120 &lt;today&gt; &amp; more

            00:00:02.100 --> 00:00:03.900
            Next line here, then a long pause

            00:00:05.000 --> 00:00:05.500
            After it

            """.Replace("\r\n", "\n"), vtt);
    }

    [Fact]
    public void Srt_numbers_its_cues_and_writes_a_comma_before_the_milliseconds()
    {
        var srt = Captions.Srt(Input, Words, new Captions.Options(MaxChars: 20));
        var cues = srt.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        // The cue ends at its last word: "today" without the markup-like ">" after it.
        Assert.Equal("1\n00:00:00,000 --> 00:00:01,700\nIt costs $120 <today", cues[0]);
        Assert.All(cues, c => Assert.True(c.Split('\n')[2].Length <= 20, c));
        Assert.Equal(Enumerable.Range(1, cues.Length).Select(i => i.ToString()), cues.Select(c => c.Split('\n')[0]));
        Assert.EndsWith("00:00:05,000 --> 00:00:05,500\nAfter it\n", srt);
    }

    [Fact]
    public void No_words_no_cues()
    {
        Assert.Equal("WEBVTT\n", Captions.WebVtt("", []));
        Assert.Equal("", Captions.Srt("", []));
    }
}

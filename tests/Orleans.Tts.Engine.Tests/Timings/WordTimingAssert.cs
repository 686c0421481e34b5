using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Engine.Tests.Timings;

/// <summary>What every word timing must satisfy against its input and its audio.</summary>
public static class WordTimingAssert
{
    /// <summary>A word's audio must be this far above silence (eSpeak's pauses are exact zeros, its speech about −20 dBFS).</summary>
    public const double MinWordDbfs = -40;

    /// <summary>
    /// Spans in order, not overlapping and within the input; times rising; each word's stretch of audio not silent; the last end
    /// within the audio. Returns the words' texts, for the caller's own expectations.
    /// </summary>
    public static List<string> Valid(string input, AudioClip clip, IReadOnlyList<WordTiming>? words)
    {
        Assert.NotNull(words);
        Assert.NotEmpty(words);
        var previousEnd = 0;
        var previousStart = -1;
        foreach (var w in words)
        {
            Assert.InRange(w.TextStart, previousEnd, input.Length - 1);
            Assert.InRange(w.TextEnd, w.TextStart + 1, input.Length);
            Assert.True(w.StartSample > previousStart, $"Word '{input[w.TextStart..w.TextEnd]}' starts at {w.StartSample}, not after {previousStart}.");
            Assert.True(w.EndSample > w.StartSample, $"Word '{input[w.TextStart..w.TextEnd]}' has no audio ({w.StartSample}–{w.EndSample}).");
            Assert.True(w.EndSample <= clip.Samples.Length, $"Word '{input[w.TextStart..w.TextEnd]}' ends at {w.EndSample}, past the audio ({clip.Samples.Length}).");
            var level = AudioAssert.RmsDbfs(clip.Samples.AsSpan(w.StartSample, w.EndSample - w.StartSample));
            Assert.True(level > MinWordDbfs, $"Word '{input[w.TextStart..w.TextEnd]}' is silent: {level:0.0} dBFS over {w.StartSample}–{w.EndSample}.");
            previousEnd = w.TextEnd;
            previousStart = w.StartSample;
        }
        return words.Select(w => input[w.TextStart..w.TextEnd]).ToList();
    }
}

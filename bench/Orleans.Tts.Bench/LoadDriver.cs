using System.Diagnostics;

namespace Orleans.Tts.Bench;

/// <summary>Seconds of wall time for a corpus spoken by several callers at once, and the audio it produced.</summary>
public sealed record ThroughputRun(int Sentences, double Seconds, double AudioSeconds)
{
    public double SentencesPerSecond => Sentences / Seconds;
}

/// <summary>Drives a target with a corpus: all sentences at a concurrency (throughput) or one at a time (latency).</summary>
public static class LoadDriver
{
    /// <summary>
    /// Every sentence <paramref name="passes"/> times, <paramref name="concurrency"/> callers pulling
    /// the next sentence as soon as they finish one.
    /// </summary>
    public static async Task<ThroughputRun> ThroughputAsync(ISpeechTarget target, Corpus corpus, int concurrency, int passes, CancellationToken ct)
    {
        var count = corpus.Sentences.Count;
        var next = -1;
        var audio = new double[count * passes];
        async Task Caller(int caller)
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < audio.Length)
                audio[i] = await target.SpeakAsync(corpus.VoiceId, corpus.Sentences[i % count], caller, ct);
        }

        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, concurrency).Select(c => Task.Run(() => Caller(c), ct)));
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        return new ThroughputRun(audio.Length, seconds, audio.Sum());
    }

    /// <summary>Milliseconds per sentence, one sentence at a time, in corpus order.</summary>
    public static async Task<double[]> LatenciesAsync(ISpeechTarget target, Corpus corpus, CancellationToken ct)
    {
        var ms = new double[corpus.Sentences.Count];
        for (var i = 0; i < ms.Length; i++) ms[i] = await TimeAsync(target, corpus, i, ct);
        return ms;
    }

    /// <summary>
    /// Milliseconds per sentence for two targets, one sentence at a time, each sentence spoken by both
    /// back to back (alternating which goes first), so that both see the same moment's machine load.
    /// </summary>
    public static async Task<(double[] A, double[] B)> PairedLatenciesAsync(ISpeechTarget a, ISpeechTarget b, Corpus corpus, CancellationToken ct)
    {
        var msA = new double[corpus.Sentences.Count];
        var msB = new double[corpus.Sentences.Count];
        for (var i = 0; i < msA.Length; i++)
        {
            if (i % 2 == 0)
            {
                msA[i] = await TimeAsync(a, corpus, i, ct);
                msB[i] = await TimeAsync(b, corpus, i, ct);
            }
            else
            {
                msB[i] = await TimeAsync(b, corpus, i, ct);
                msA[i] = await TimeAsync(a, corpus, i, ct);
            }
        }
        return (msA, msB);
    }

    private static async Task<double> TimeAsync(ISpeechTarget target, Corpus corpus, int i, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        await target.SpeakAsync(corpus.VoiceId, corpus.Sentences[i], 0, ct);
        return Stopwatch.GetElapsedTime(started).TotalMilliseconds;
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Orleans.Tts.Speech;

/// <summary>
/// Where one whole-file request's time went, sent as a standard <c>Server-Timing</c> header (W3C Server Timing) so a
/// caller — or an operator reading a slow request — can tell waiting for a permit from synthesis and from the shared cache:
/// <c>request</c> (arrival to the cache lookup: reading and validating the body, resolving the voice), <c>cache</c> (the shared
/// cache's lookup and claim), <c>queue</c> (the admission wait), <c>synth</c> (synthesis and encoding while the permit is
/// held), <c>release</c> (returning the permit), <c>store</c> (handing the result to the cache), <c>total</c>. Parts that did not happen (a cache hit) are left out.
/// </summary>
public sealed class SpeechTimings(long arrived)
{
    /// <summary>When the cache lookup started (this object's creation): <c>X-Tts-Synthesis-Ms</c> runs from here.</summary>
    private readonly long _started = Stopwatch.GetTimestamp();
    private long _producing, _admitted, _synthesized, _released;

    /// <summary>From the cache lookup's start to <paramref name="end"/>.</summary>
    public TimeSpan SinceStarted(long end) => Stopwatch.GetElapsedTime(_started, end);

    /// <summary>This request produces the result (a miss it claimed): the admission wait starts.</summary>
    public void Producing() => _producing = Stopwatch.GetTimestamp();

    public void Admitted() => _admitted = Stopwatch.GetTimestamp();

    public void Synthesized() => _synthesized = Stopwatch.GetTimestamp();

    public void Released() => _released = Stopwatch.GetTimestamp();

    /// <summary>The header's value at <paramref name="end"/>: each part from its start to the next recorded mark.</summary>
    public string Header(long end)
    {
        var text = new StringBuilder();
        var marks = new (string Name, long At)[] { ("request", arrived), ("cache", _started), ("queue", _producing), ("synth", _admitted), ("release", _synthesized), ("store", _released) };
        for (var i = 0; i < marks.Length; i++)
        {
            if (marks[i].At == 0) continue;
            var next = end;
            for (var j = i + 1; j < marks.Length; j++)
                if (marks[j].At != 0) { next = marks[j].At; break; }
            Append(text, marks[i].Name, marks[i].At, next);
        }
        Append(text, "total", arrived, end);
        return text.ToString();
    }

    private static void Append(StringBuilder text, string name, long from, long to)
    {
        if (text.Length > 0) text.Append(", ");
        text.Append(name).Append(";dur=").Append(Stopwatch.GetElapsedTime(from, to).TotalMilliseconds.ToString("0.#", CultureInfo.InvariantCulture));
    }
}

namespace Orleans.Tts.Bench;

/// <summary>Something that speaks one sentence: the in-process engine or the silo's HTTP API.</summary>
public interface ISpeechTarget
{
    string Name { get; }

    /// <summary>Speaks the sentence for caller number <paramref name="caller"/> and returns the seconds of audio produced.</summary>
    ValueTask<double> SpeakAsync(string voiceId, string sentence, int caller, CancellationToken ct);
}

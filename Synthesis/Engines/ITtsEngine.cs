using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Synthesis.Engines;

/// <summary>
/// A speech engine: lists its voices and renders one sentence at a time. Engines are
/// thread-safe; <see cref="MaxParallelism"/> says how many sentences they can render at once.
/// </summary>
public interface ITtsEngine : IAsyncDisposable
{
    /// <summary>Short engine name, the prefix of its voice ids (<c>espeak</c>, <c>piper</c>, <c>kokoro</c>).</summary>
    string Name { get; }

    /// <summary>Loads models or starts worker processes. Called once before any other call.</summary>
    Task StartAsync(CancellationToken cancellationToken);

    /// <summary>Voices, valid after <see cref="StartAsync"/>.</summary>
    IReadOnlyList<VoiceInfo> Voices { get; }

    /// <summary>Sentences this engine can render concurrently.</summary>
    int MaxParallelism { get; }

    /// <summary>
    /// True when background sentences (<see cref="SynthesisOptions.Background"/>) run on capacity of their own at below-normal
    /// OS priority (eSpeak's background hosts): they then take none of the workers interactive requests use.
    /// </summary>
    bool RunsBackgroundApart => false;

    /// <summary>Renders one sentence (already split by <c>SentenceSplitter</c>) at the voice's native rate.</summary>
    ValueTask<AudioClip> SynthesizeSentenceAsync(string voiceId, string sentence, SynthesisOptions options, CancellationToken cancellationToken);

    /// <summary>
    /// Renders a background sentence with its audio packed where it is synthesised (eSpeak's engine hosts), or null where this
    /// engine, or these options, cannot; the caller then renders it with <see cref="SynthesizeSentenceAsync"/>. The caller
    /// disposes the sentence.
    /// </summary>
    ValueTask<PackedSentence?> SynthesizeSentencePackedAsync(string voiceId, string sentence, SynthesisOptions options, CancellationToken cancellationToken) =>
        ValueTask.FromResult<PackedSentence?>(null);

    /// <summary>Facts for <c>/ready</c> details (versions, failures).</summary>
    IReadOnlyDictionary<string, string> Describe();
}

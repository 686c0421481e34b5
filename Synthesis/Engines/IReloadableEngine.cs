using Orleans.Tts.Models;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Synthesis.Engines;

/// <summary>An engine whose voices come from model files and can change while the silo runs.</summary>
public interface IReloadableEngine : ITtsEngine
{
    /// <summary>
    /// Scans its part of the models directory again and swaps in the new voice set at once: requests already
    /// running finish on the models they started with. Models that fail to load are reported, never thrown.
    /// </summary>
    Task ReloadAsync(CancellationToken cancellationToken);

    /// <summary>Files that did not load at the last scan.</summary>
    IReadOnlyList<ModelLoadFailure> Failures { get; }
}

/// <summary>An engine that accepts voice ids it does not list (Kokoro's voice blends).</summary>
public interface IComposedVoices
{
    /// <summary>
    /// The voice for an id this engine composes on request, or null when the id is not one of its forms.
    /// Throws <see cref="Synthesis.UnknownVoiceException"/> with the reason when it is but cannot be built.
    /// </summary>
    VoiceInfo? Compose(string voiceId);
}

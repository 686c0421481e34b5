using Orleans.Tts.Voices;

namespace Orleans.Tts.Models;

/// <summary>The neural voice models a silo loads from its models directory (<c>TTS_MODELS_DIR</c>).</summary>
public interface IModelCatalog
{
    /// <summary>Scans the models directory again: new models are loaded, changed ones reloaded, removed ones dropped.</summary>
    ValueTask<ModelReloadReport> ReloadAsync(CancellationToken cancellationToken = default);
}

/// <summary>What a scan of the models directory loaded and what it could not.</summary>
/// <param name="Directory">The models directory, as an absolute path.</param>
/// <param name="Voices">Every voice the model engines now serve.</param>
/// <param name="Failures">Models or voice files that did not load, with the reason.</param>
public sealed record ModelReloadReport(string Directory, IReadOnlyList<VoiceInfo> Voices, IReadOnlyList<ModelLoadFailure> Failures);

/// <param name="Engine">Engine that tried to load it (<c>piper</c>, <c>kokoro</c>).</param>
/// <param name="Path">The file, relative to the models directory.</param>
/// <param name="Error">Why it did not load.</param>
public sealed record ModelLoadFailure(string Engine, string Path, string Error);

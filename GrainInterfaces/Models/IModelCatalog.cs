using Orleans.Concurrency;
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
[GenerateSerializer, Immutable, Alias("tts.ModelReloadReport")]
public sealed record ModelReloadReport([property: Id(0)] string Directory, [property: Id(1)] IReadOnlyList<VoiceInfo> Voices, [property: Id(2)] IReadOnlyList<ModelLoadFailure> Failures);

/// <param name="Engine">Engine that tried to load it (<c>piper</c>, <c>kokoro</c>).</param>
/// <param name="Path">The file, relative to the models directory.</param>
/// <param name="Error">Why it did not load.</param>
[GenerateSerializer, Immutable, Alias("tts.ModelLoadFailure")]
public sealed record ModelLoadFailure([property: Id(0)] string Engine, [property: Id(1)] string Path, [property: Id(2)] string Error);

using Orleans.Tts.Synthesis.Speakers;
using Orleans.Tts.Speakers;

namespace Orleans.Tts.Synthesis.Engines.Kokoro;

/// <summary>
/// A Kokoro speaker's embedding is its style table (float32 rows of 256, little-endian): the uploaded table, else the
/// weighted mean of its blend's tables, else its base voice's table. The speaker's grain computes it once per
/// speaker version for the cluster; the engine reads it from <see cref="Synthesis.SynthesisOptions.Speaker"/>.
/// </summary>
public sealed class KokoroStyleEmbeddingProvider(KokoroEngine engine) : ISpeakerEmbeddingProvider
{
    public string Kind => SpeakerEmbedding.KokoroStyle;

    public bool CanCompute(SpeakerProfile profile) => profile.BaseVoiceId.StartsWith(KokoroEngine.EngineName + ":", StringComparison.OrdinalIgnoreCase);

    public ValueTask<byte[]> ComputeAsync(SpeakerSource source, CancellationToken cancellationToken)
    {
        var profile = source.Profile;
        var table = source.VoiceTable is { } uploaded ? KokoroVoiceTable.FromBytes(uploaded)
            : profile.Blend is { Count: > 0 } blend ? engine.BlendTables(blend)
            : engine.StyleTable(profile.BaseVoiceId);
        return ValueTask.FromResult(table.ToBytes());
    }
}

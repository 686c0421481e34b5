using System.Runtime.CompilerServices;
using Orleans.Tts.Cluster;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Grains.Synthesis;

/// <summary>
/// The workers a co-hosting silo's requests use: a text of two or more work items (sentences, pauses) goes through
/// <see cref="ClusterSynthesisWorker"/>, which sends each sentence to a lightly loaded silo — this one included — once another
/// silo is ready; anything else (one sentence, or a silo alone) runs on this silo's own pool, with no grain call in the way.
/// </summary>
public sealed class SiloSynthesisWorker(ISynthesisWorker local, ClusterSynthesisWorker cluster, ISiloDirectory directory, ISynthesisPlanner planner)
    : ISynthesisWorker
{
    public ValueTask<IReadOnlyList<VoiceInfo>> GetVoicesAsync(CancellationToken cancellationToken = default) => local.GetVoicesAsync(cancellationToken);

    public WorkerPoolStatus Status => local.Status;

    public async ValueTask<AudioClip> SynthesizeAsync(SynthesisRequest request, CancellationToken cancellationToken = default) =>
        await (await SpreadsAsync(request, cancellationToken) ? cluster : local).SynthesizeAsync(request, cancellationToken);

    public async IAsyncEnumerable<AudioClip> StreamAsync(SynthesisRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var worker = await SpreadsAsync(request, cancellationToken) ? cluster : local;
        await foreach (var clip in worker.StreamAsync(request, cancellationToken)) yield return clip;
    }

    /// <summary>More than one silo to share with, and more than one item to share: planned here (cheap next to synthesis).</summary>
    private async ValueTask<bool> SpreadsAsync(SynthesisRequest request, CancellationToken cancellationToken)
    {
        if (directory.Gateways.Count < 2) return false;
        var voices = await local.GetVoicesAsync(cancellationToken);
        try
        {
            return planner.Plan(request, id => voices.FirstOrDefault(v => v.Id.Equals(id, StringComparison.OrdinalIgnoreCase)) ?? throw new UnknownVoiceException(id)).Count > 1;
        }
        catch (UnknownVoiceException)
        {
            // The pool reports it (or resolves a voice it builds, such as a Kokoro blend).
            return false;
        }
    }
}

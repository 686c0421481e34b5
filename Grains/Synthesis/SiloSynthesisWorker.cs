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
        await PlanToShareAsync(request, cancellationToken) is { } planned
            ? await cluster.SynthesizeAsync(request, planned, cancellationToken)
            : await local.SynthesizeAsync(request, cancellationToken);

    public async IAsyncEnumerable<AudioClip> StreamAsync(SynthesisRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var clips = await PlanToShareAsync(request, cancellationToken) is { } planned
            ? cluster.StreamAsync(request, planned, cancellationToken)
            : local.StreamAsync(request, cancellationToken);
        await foreach (var clip in clips) yield return clip;
    }

    /// <summary>
    /// The request's items when it is worth sharing — more than one silo to share with, and more than one item — planned here
    /// once and handed to the spreading worker; null: the local pool takes the request.
    /// </summary>
    private async ValueTask<(IReadOnlyList<PlannedItem> Items, int Rate)?> PlanToShareAsync(SynthesisRequest request, CancellationToken cancellationToken)
    {
        if (directory.Gateways.Count < 2) return null;
        var voices = await local.GetVoicesAsync(cancellationToken);
        VoiceInfo Resolve(string id) => voices.FirstOrDefault(v => v.Id.Equals(id, StringComparison.OrdinalIgnoreCase)) ?? throw new UnknownVoiceException(id);
        try
        {
            var items = planner.Plan(request, Resolve);
            return items.Count > 1 ? (items, Resolve(request.VoiceId).SampleRate) : null;
        }
        catch (UnknownVoiceException)
        {
            // The pool reports it (or resolves a voice it builds, such as a Kokoro blend).
            return null;
        }
    }
}

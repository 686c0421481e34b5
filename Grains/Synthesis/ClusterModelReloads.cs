using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.Tts.Cluster;
using Orleans.Tts.Models;
using Orleans.Tts.Streams;

namespace Orleans.Tts.Grains.Synthesis;

/// <summary>
/// A cluster-wide model reload as one event on the model-reload stream, which every silo subscribes to for its lifetime
/// (<see cref="ModelReloadSubscriber"/>). Each silo acknowledges on this reload's own stream, subscribed to before the event is
/// published; the answer waits for every silo that was active when asked (and takes any other that answers meanwhile), at most
/// <see cref="Deadline"/>: a silo without an answer by then is reported with an error.
/// </summary>
public sealed class ClusterModelReloads(IClusterClient client, ISiloDirectory directory, IServiceProvider services) : IClusterModelReloads
{
    public static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan UnsubscribeTimeout = TimeSpan.FromSeconds(2);

    public async Task<IReadOnlyList<SiloReloadOutcome>> ReloadAsync(CancellationToken cancellationToken = default)
    {
        // A silo's own address (a frontend has none): it answers for itself whatever the directory's last view of it.
        var self = services.GetService<IModelCatalog>() is null ? null : services.GetService<ILocalSiloDetails>()?.SiloAddress.ToParsableString();
        var names = directory.Gateways.ToDictionary(g => g.Id, g => g.Name, StringComparer.Ordinal);
        var expected = names.Keys.ToHashSet(StringComparer.Ordinal);
        if (self is not null) expected.Add(self);

        var acks = new Dictionary<string, ModelReloadAck>(StringComparer.Ordinal);
        var allIn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var id = Guid.NewGuid().ToString("n");
        var provider = client.GetStreamProvider(TtsStreams.Provider);
        var subscription = await provider.GetStream<ModelReloadAck>(StreamId.Create(TtsStreams.ModelReloadAcks, id)).SubscribeAsync((ack, _) =>
        {
            lock (acks)
            {
                acks[ack.Address] = ack;
                if (expected.IsSubsetOf(acks.Keys)) allIn.TrySetResult();
            }
            return Task.CompletedTask;
        });
        try
        {
            await provider.GetStream<ModelReloadRequest>(StreamId.Create(TtsStreams.ModelReloads, TtsStreams.ModelReloadsKey))
                .OnNextAsync(new ModelReloadRequest(id));
            try { await allIn.Task.WaitAsync(Deadline, cancellationToken); }
            catch (TimeoutException) { } // the silos without an answer are reported below
        }
        finally
        {
            try { await subscription.UnsubscribeAsync().WaitAsync(UnsubscribeTimeout, CancellationToken.None); }
            catch (Exception) { } // a finished reload's stream carries nothing more
        }

        List<ModelReloadAck> answered;
        lock (acks) answered = [.. acks.Values];
        var silent = expected.Except(answered.Select(a => a.Address)).Select(address => new SiloReloadOutcome(
            names.GetValueOrDefault(address, address), null, $"did not acknowledge the reload within {Deadline.TotalSeconds:0} s", address == self));
        return [.. answered.Select(a => new SiloReloadOutcome(a.Silo, a.Report, a.Report is null ? a.Error ?? "reload failed" : null, a.Address == self))
            .Concat(silent).OrderBy(o => o.Silo, StringComparer.Ordinal)];
    }
}

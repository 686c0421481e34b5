using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;
using Orleans.Streams;
using Orleans.Tts.Grains.Cluster;
using Orleans.Tts.Models;
using Orleans.Tts.Streams;

namespace Orleans.Tts.Grains.Synthesis;

/// <summary>
/// This silo's subscription to the cluster's model reloads (<see cref="TtsStreams.ModelReloads"/>), held for the silo's lifetime:
/// each request rescans the models directory and is acknowledged on the request's own stream.
/// A silo-lifetime subscription rather than an implicit-subscription grain: implicit subscriptions activate one grain per stream
/// key, not one per silo, so reaching every silo would need one stream per silo (the publisher listing the silos again). Each
/// silo subscribes once it has joined (a silo that joins later subscribes too, and loaded the directory as it started); a killed
/// silo's subscription is dropped by the stream's agent at the first delivery that finds its client gone.
/// </summary>
public sealed class ModelReloadSubscriber(IClusterClient client, IModelCatalog catalog, ILocalSiloDetails silo, TtsClusterOptions cluster,
    ILogger<ModelReloadSubscriber> logger) : BackgroundService
{
    private static readonly TimeSpan RetrySubscribe = TimeSpan.FromSeconds(1), UnsubscribeTimeout = TimeSpan.FromSeconds(2);

    // Requests are taken off the stream at once and reloaded here: a reload can outlast the stream's delivery timeout.
    private readonly Channel<ModelReloadRequest> _requests = Channel.CreateUnbounded<ModelReloadRequest>(new UnboundedChannelOptions { SingleReader = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var provider = client.GetStreamProvider(TtsStreams.Provider);
        var stream = provider.GetStream<ModelReloadRequest>(StreamId.Create(TtsStreams.ModelReloads, TtsStreams.ModelReloadsKey));
        StreamSubscriptionHandle<ModelReloadRequest>? subscription = null;
        try
        {
            while (subscription is null)
            {
                try
                {
                    subscription = await stream.SubscribeAsync((request, _) =>
                    {
                        _requests.Writer.TryWrite(request);
                        return Task.CompletedTask;
                    });
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    // Subscriptions live in PubSubStore (Redis in a cluster): keep trying while it is unreachable.
                    logger.LogWarning("Could not subscribe to model reloads ({Error}); retrying", e.GetBaseException().Message);
                    await Task.Delay(RetrySubscribe, stoppingToken);
                }
            }
            await foreach (var request in _requests.Reader.ReadAllAsync(stoppingToken))
            {
                ModelReloadAck ack;
                try
                {
                    ack = new ModelReloadAck(silo.SiloAddress.ToParsableString(), cluster.Self.Id, await catalog.ReloadAsync(stoppingToken), null);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning(e, "Model reload {Reload} failed", request.Id);
                    ack = new ModelReloadAck(silo.SiloAddress.ToParsableString(), cluster.Self.Id, null, e.GetBaseException().Message);
                }
                try
                {
                    await provider.GetStream<ModelReloadAck>(StreamId.Create(TtsStreams.ModelReloadAcks, request.Id)).OnNextAsync(ack);
                }
                catch (Exception e) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.LogWarning("Could not acknowledge model reload {Reload} ({Error})", request.Id, e.GetBaseException().Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        finally
        {
            if (subscription is not null)
            {
                // Bounded: with Redis down a shutdown must still end in time, and the agent drops a gone client's subscription anyway.
                try { await subscription.UnsubscribeAsync().WaitAsync(UnsubscribeTimeout); }
                catch (Exception) { }
            }
        }
    }
}

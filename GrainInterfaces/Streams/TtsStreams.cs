namespace Orleans.Tts.Streams;

/// <summary>
/// The cluster's one Orleans stream provider (memory streams, on every silo and every client; configured in the silo's
/// OrleansHosting) and the namespaces of its streams. Memory streams are not durable: a subscriber that must not miss a change
/// reads the current state after subscribing.
/// </summary>
public static class TtsStreams
{
    /// <summary>The stream provider's name.</summary>
    public const string Provider = "tts";

    /// <summary>The grain storage holding stream subscriptions (the name memory streams require).</summary>
    public const string PubSubStore = "PubSubStore";

    /// <summary>One stream per job (key: the job id): every change of its <c>JobRecord</c>.</summary>
    public const string Jobs = "jobs";

    /// <summary>
    /// The one stream of model reloads (key <see cref="ModelReloadsKey"/>): every silo subscribes for its lifetime and rescans its
    /// models directory on each <c>ModelReloadRequest</c>.
    /// </summary>
    public const string ModelReloads = "model-reloads";

    /// <summary>The key of the <see cref="ModelReloads"/> stream.</summary>
    public const string ModelReloadsKey = "all";

    /// <summary>One stream per reload (key: the request's id): each silo's <c>ModelReloadAck</c>, read by whoever asked.</summary>
    public const string ModelReloadAcks = "model-reload-acks";
}

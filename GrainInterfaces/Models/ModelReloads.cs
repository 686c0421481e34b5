using Orleans.Concurrency;

namespace Orleans.Tts.Models;

/// <summary>
/// A model reload asked of the whole cluster, published on <see cref="Streams.TtsStreams.ModelReloads"/>; every silo rescans its
/// models directory and answers on the acknowledgement stream keyed by <paramref name="Id"/>.
/// </summary>
[GenerateSerializer, Immutable, Alias("tts.ModelReloadRequest")]
public sealed record ModelReloadRequest([property: Id(0)] string Id);

/// <summary>One silo's answer to a <see cref="ModelReloadRequest"/>: its report, or why its reload failed.</summary>
/// <param name="Address">The silo's Orleans address (<c>SiloAddress.ToParsableString</c>), as the silo directory keys it.</param>
/// <param name="Silo">The silo's name (<c>TTS_SILO_ID</c>).</param>
[GenerateSerializer, Immutable, Alias("tts.ModelReloadAck")]
public sealed record ModelReloadAck([property: Id(0)] string Address, [property: Id(1)] string Silo, [property: Id(2)] ModelReloadReport? Report,
    [property: Id(3)] string? Error);

/// <summary>Reloads the models of every silo of the cluster (<c>POST /admin/models/reload</c>).</summary>
public interface IClusterModelReloads
{
    /// <summary>
    /// Asks every silo to rescan its models directory and returns each silo's outcome: one per silo that was active when asked or
    /// answered, this process's own (a silo's) marked <see cref="SiloReloadOutcome.Self"/>.
    /// </summary>
    Task<IReadOnlyList<SiloReloadOutcome>> ReloadAsync(CancellationToken cancellationToken = default);
}

/// <param name="Silo">The silo's name (<c>TTS_SILO_ID</c>).</param>
/// <param name="Report">What it loaded, or null with <paramref name="Error"/> (its reload failed, or it did not answer in time).</param>
/// <param name="Self">The silo of the process that asked.</param>
public sealed record SiloReloadOutcome(string Silo, ModelReloadReport? Report, string? Error, bool Self);

using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.Placement;
using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>
/// Places a grain whose key is a silo's address (<see cref="Synthesis.SynthesisGrainKey.Of"/>) on that silo: one activation per
/// silo for grains that front a silo's own resources (its worker pool, its admission holding). When that silo is not an active,
/// compatible member (dead, leaving, or not yet known to the placing silo), placement fails and the caller picks another silo:
/// the grain is never activated anywhere else, where it would answer for the wrong silo.
/// </summary>
[Serializable, GenerateSerializer, Immutable, SuppressReferenceTracking, Alias("tts.SiloKeyedPlacement")]
public sealed class SiloKeyedPlacement : PlacementStrategy
{
    public static SiloKeyedPlacement Instance { get; } = new();
}

[AttributeUsage(AttributeTargets.Class, AllowMultiple = false)]
public sealed class SiloKeyedPlacementAttribute() : PlacementAttribute(SiloKeyedPlacement.Instance);

public sealed class SiloKeyedPlacementDirector : IPlacementDirector
{
    public Task<SiloAddress> OnAddActivation(PlacementStrategy strategy, PlacementTarget target, IPlacementContext context)
    {
        var key = target.GrainIdentity.Key.ToString();
        var silo = SiloAddress.FromParsableString(key);
        if (context.GetCompatibleSilos(target).Contains(silo)) return Task.FromResult(silo);
        throw new SiloUnavailableException($"Silo {key} is not an active member hosting {target.GrainIdentity.Type}; ask another silo.");
    }
}

public static class SiloKeyedPlacementExtensions
{
    /// <summary>Registers <see cref="SiloKeyedPlacement"/> on a silo.</summary>
    public static ISiloBuilder AddSiloKeyedPlacement(this ISiloBuilder silo)
    {
        silo.Services.AddPlacementDirector<SiloKeyedPlacement, SiloKeyedPlacementDirector>();
        return silo;
    }
}

using Orleans.Concurrency;
using Orleans.Tts.Admission;
using Orleans.Tts.Grains.Cluster;

namespace Orleans.Tts.Grains.Admission;

/// <summary>Answers a new activation of the admission grain with what this silo holds (<see cref="IAdmissionHolderGrain"/>).</summary>
[SiloKeyedPlacement, Reentrant]
public sealed class AdmissionHolderGrain(AdmissionHolder holder) : Grain, IAdmissionHolderGrain
{
    public Task<PermitClaim> GetHoldingAsync() => Task.FromResult(holder.Holding());
}

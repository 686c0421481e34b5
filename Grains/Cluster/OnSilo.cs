using Orleans.Runtime;
using Orleans.Runtime.Placement;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>
/// Calls a stateless worker on a chosen silo: Orleans' stateless-worker placement honours a placement hint in the request
/// context (a silo that is no longer compatible is ignored, and the call is placed locally or at random instead).
/// </summary>
public static class OnSilo
{
    public static async Task<T> CallAsync<T>(SiloAddress silo, Func<Task<T>> call)
    {
        RequestContext.Set(IPlacementDirector.PlacementHintKey, silo);
        try
        {
            return await call();
        }
        finally
        {
            RequestContext.Remove(IPlacementDirector.PlacementHintKey);
        }
    }
}

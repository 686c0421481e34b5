using Orleans.Runtime;

namespace Orleans.Tts.Caching;

/// <summary>
/// Single flight of one result cache key across the cluster (the grain's key is the cache key): the first caller leads (it
/// produces the result and stores it in the shared cache), the others wait here until the leader reports it done and then
/// read the shared cache. A leader that fails, whose lease runs out or whose silo Orleans declares dead hands the lead to a waiter.
/// </summary>
public interface IResultFlightGrain : IGrainWithStringKey
{
    /// <summary>
    /// <see cref="FlightTurn.Lead"/> when the caller leads now; <see cref="FlightTurn.Ready"/> when a leader stored the result;
    /// <see cref="FlightTurn.Wait"/> when another caller still leads after a few seconds (ask again: no call outlives the response timeout).
    /// </summary>
    Task<FlightTurn> EnterAsync(FlightCaller caller, CancellationToken cancellationToken = default);

    /// <summary>The leader <paramref name="lead"/> is done: <paramref name="stored"/> when its result is in the shared cache.</summary>
    Task DoneAsync(Guid lead, bool stored);
}

/// <param name="Lead">Names the caller's lead, should it get it.</param>
/// <param name="Silo">The caller's silo (null for an Orleans client): its lead ends when Orleans declares that silo dead.</param>
/// <param name="Lease">How long a lead of the caller may last without being reported done.</param>
[GenerateSerializer, Alias("tts.FlightCaller")]
public sealed record FlightCaller([property: Id(0)] Guid Lead, [property: Id(1)] SiloAddress? Silo, [property: Id(2)] TimeSpan Lease);

[GenerateSerializer, Alias("tts.FlightTurn")]
public enum FlightTurn
{
    Lead,
    Ready,
    Wait,
}

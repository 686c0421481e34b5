using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Polly;
using Polly.Retry;
using Polly.Timeout;

namespace Orleans.Tts.Grains.Cluster;

/// <summary>
/// Retries of grain calls that Orleans could not deliver: the grain's silo was killed and membership has not declared it dead
/// yet, so its activation cannot be reached and is not yet placed elsewhere. Declaring a silo dead takes a few seconds
/// (README, "Failure detection"), so the retries span up to 12 s; a request that leaves stops them. Only for calls that may run
/// twice: reads, and creations under an id fixed before the first try.
/// </summary>
public static class GrainCallRetry
{
    private static readonly ResiliencePipeline Pipeline = new ResiliencePipelineBuilder()
        .AddTimeout(TimeSpan.FromSeconds(12))
        .AddRetry(new RetryStrategyOptions
        {
            // A call in flight when its silo was killed gets no answer until Orleans' response timeout (30 s): each try
            // gives up after 4 s instead, so only calls that may run twice (reads, and creations under a fixed id) come here.
            ShouldHandle = new PredicateBuilder().Handle<Exception>(e => IsUndelivered(e) || e is TimeoutRejectedException),
            MaxRetryAttempts = 6,
            Delay = TimeSpan.FromMilliseconds(200),
            MaxDelay = TimeSpan.FromSeconds(2),
            BackoffType = DelayBackoffType.Exponential,
            UseJitter = true,
        })
        .AddTimeout(TimeSpan.FromSeconds(4))
        .Build();

    /// <summary>True for Orleans' "could not reach the silo" failures (not a grain's own exception, not a timeout of a call that may still run).</summary>
    public static bool IsUndelivered(Exception e)
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
            if (x is OrleansMessageRejectionException or ConnectionFailedException) return true;
        return false;
    }

    public static ValueTask<T> RunAsync<T>(Func<CancellationToken, ValueTask<T>> call, CancellationToken cancellationToken) =>
        Pipeline.ExecuteAsync(call, cancellationToken);

    /// <summary>Why a grain call failed, in words for a problem's detail (the exception itself goes to the log).</summary>
    public static string Reason(Exception e) => e switch
    {
        _ when IsUndelivered(e) => "a silo of the cluster could not be reached",
        TimeoutException or TimeoutRejectedException => "the cluster did not answer in time",
        _ => "the cluster failed to answer",
    };
}

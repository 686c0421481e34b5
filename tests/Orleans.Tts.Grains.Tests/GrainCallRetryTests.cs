using Orleans.Runtime;
using Orleans.Runtime.Messaging;
using Orleans.Tts.Grains.Cluster;

namespace Orleans.Tts.Grains.Tests;

/// <summary>Which grain-call failures are retried while a killed silo is being declared dead, and what a client is told.</summary>
public sealed class GrainCallRetryTests
{
    [Fact]
    public void Only_calls_orleans_could_not_deliver_count_as_undelivered()
    {
        Assert.True(GrainCallRetry.IsUndelivered(new SiloUnavailableException("gone")));
        Assert.True(GrainCallRetry.IsUndelivered(new SiloUnavailableException("Exception while sending message", new ConnectionFailedException("Unable to connect"))));
        Assert.True(GrainCallRetry.IsUndelivered(new AggregateException(new ConnectionFailedException("Unable to connect"))));
        Assert.False(GrainCallRetry.IsUndelivered(new TimeoutException()));
        Assert.False(GrainCallRetry.IsUndelivered(new InvalidOperationException("the grain's own failure")));
    }

    [Fact]
    public async Task An_undelivered_call_is_tried_again_and_a_grains_own_failure_is_not()
    {
        var tries = 0;
        var answer = await GrainCallRetry.RunAsync(_ => ++tries < 3
            ? throw new SiloUnavailableException("Exception while sending message", new ConnectionFailedException("Unable to connect"))
            : ValueTask.FromResult("done"), CancellationToken.None);
        Assert.Equal("done", answer);
        Assert.Equal(3, tries);

        var own = 0;
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await GrainCallRetry.RunAsync<string>(_ => { own++; throw new InvalidOperationException("refused"); }, CancellationToken.None));
        Assert.Equal(1, own);
    }

    [Fact]
    public void The_reason_given_to_a_client_carries_no_exception_text()
    {
        var e = new SiloUnavailableException("Exception while sending message: Orleans.Runtime.Messaging.ConnectionFailedException: Unable to connect to S127.0.0.1:46531\n   at Orleans.Runtime.Messaging.ConnectionManager.GetConnectionAsync");
        var reason = GrainCallRetry.Reason(e);
        Assert.Equal("a silo of the cluster could not be reached", reason);
        Assert.Equal("the cluster did not answer in time", GrainCallRetry.Reason(new TimeoutException("The operation has timed out.")));
    }
}

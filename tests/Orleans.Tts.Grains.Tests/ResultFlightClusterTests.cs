using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;
using Orleans.Tts.Caching;
using Orleans.Tts.Grains.Caching;
using Orleans.Tts.Testing;

namespace Orleans.Tts.Grains.Tests;

/// <summary>
/// The result cache of three silos (in process) sharing the tests' Redis: identical requests on different silos cause one
/// production, and a leader that fails or whose silo dies hands the key to a waiter.
/// </summary>
public sealed class ResultFlightClusterTests : IAsyncLifetime
{
    private InProcessTestCluster _cluster = null!;
    private int _produced;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.ConfigureSilo((_, silo) =>
        {
            silo.Configure<ClusterMembershipOptions>(AdmissionClusters.FastFailureDetection);
            silo.ConfigureServices(services => services.AddResultCache(new ConfigurationBuilder()
                .AddInMemoryCollection(new Dictionary<string, string?> { ["TTS_REDIS_CACHE"] = RedisServer.ConnectionString }).Build()));
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
        // A silo whose Redis connection is not up yet serves without the shared store (and without single flight) by design;
        // on a starved CPU the connection can come up after the silo: the tests are about the connected cluster.
        await Poll.UntilAsync(() => Task.FromResult(Enumerable.Range(0, 3).All(i => !CacheOn(i).Degraded)), TimeSpan.FromSeconds(30),
            "every silo's cache connected to Redis");
        // Each silo's first flight compiles and activates its way there: with the CPU starved that took longer than the 1.5 s a
        // caller waits to enter a flight before synthesising without it (3 productions instead of 1). The tests are about flights.
        for (var i = 0; i < 3; i++)
        {
            var key = NewKey();
            await CacheOn(i).GetOrCreateAsync(key, Producer(key, Task.CompletedTask, 0));
        }
        _produced = 0;
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private IResultCache CacheOn(int silo) => _cluster.Silos[silo].ServiceProvider.GetRequiredService<IResultCache>();

    /// <summary>Keys nobody has produced before (the Redis server outlives test runs).</summary>
    private static string NewKey() => $"test-{Guid.NewGuid():n}";

    private Func<CancellationToken, ValueTask<ProducedAudio>> Producer(string key, Task gate, byte mark) => async ct =>
    {
        Interlocked.Increment(ref _produced);
        await gate.WaitAsync(ct);
        return new ProducedAudio(new CachedAudio(key, [mark, 2, 3], "audio/wav", "espeak:en-us", 1), Cacheable: true, null);
    };

    [Fact]
    public async Task Identical_requests_on_three_silos_at_once_are_produced_once()
    {
        var key = NewKey();
        var gate = new TaskCompletionSource();
        var calls = Enumerable.Range(0, 15).Select(i => CacheOn(i % 3).GetOrCreateAsync(key, Producer(key, gate.Task, 1)).AsTask()).ToList();
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref _produced) > 0), TimeSpan.FromSeconds(10), "the leader produces");
        gate.SetResult();
        var outcomes = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(1, _produced);
        Assert.Equal(1, outcomes.Count(o => !o.Hit));
        Assert.All(outcomes, o => Assert.Equal([1, 2, 3], o.Audio.Content));
    }

    [Fact]
    public async Task A_leader_that_fails_hands_the_lead_to_a_waiter_on_another_silo()
    {
        var key = NewKey();
        var failing = new TaskCompletionSource();
        var leading = CacheOn(0).GetOrCreateAsync(key, Producer(key, failing.Task, 1)).AsTask();
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref _produced) == 1), TimeSpan.FromSeconds(10), "silo 0 leads");
        var waiting = CacheOn(1).GetOrCreateAsync(key, Producer(key, Task.CompletedTask, 2)).AsTask();

        failing.SetException(new InvalidOperationException("synthesis failed"));
        await Assert.ThrowsAsync<InvalidOperationException>(() => leading);
        var outcome = await waiting.WaitAsync(TimeSpan.FromSeconds(20));
        Assert.False(outcome.Hit);
        Assert.Equal(2, outcome.Audio.Content[0]);
        Assert.Equal(2, _produced);
    }

    [Fact]
    public async Task A_leader_whose_silo_dies_hands_the_lead_to_a_waiter_on_another_silo()
    {
        var key = NewKey();
        var never = new TaskCompletionSource();
        _ = CacheOn(2).GetOrCreateAsync(key, Producer(key, never.Task, 1)).AsTask();
        await Poll.UntilAsync(() => Task.FromResult(Volatile.Read(ref _produced) == 1), TimeSpan.FromSeconds(10), "silo 2 leads");
        var waiting = CacheOn(1).GetOrCreateAsync(key, Producer(key, Task.CompletedTask, 2)).AsTask();
        Assert.False(waiting.IsCompleted, "the waiter had nothing to take while the leader was producing");

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await _cluster.KillSiloAsync(_cluster.Silos[2]);
        var outcome = await waiting.WaitAsync(TimeSpan.FromSeconds(45));
        Console.WriteLine($"The waiter led {clock.Elapsed.TotalSeconds:0.0} s after the leader's silo was killed");
        Assert.False(outcome.Hit);
        Assert.Equal(2, outcome.Audio.Content[0]);
        Assert.Equal(2, _produced);
    }
}

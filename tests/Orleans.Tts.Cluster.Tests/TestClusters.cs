using Orleans.Tts.Testing;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// The cluster tests' Redis (<see cref="RedisServer"/>: the one <c>./tts test</c> started, or a throwaway one) and a fresh
/// Orleans service and cluster id per test, so the silos of one test form one cluster and never meet another test's silos,
/// grains, cache entries or job audio on the shared server.
/// </summary>
public sealed class TestClusters
{
    public Task<string> NewAsync() => Task.FromResult(RedisServer.NewClusterId("t"));
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<TestClusters>
{
    public const string Name = "redis cluster";
}

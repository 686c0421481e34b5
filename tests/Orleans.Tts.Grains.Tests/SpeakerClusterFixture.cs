using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.Runtime;
using Orleans.Storage;
using Orleans.TestingHost;
using Orleans.Tts.Grains.Speakers;
using Orleans.Tts.Speakers;
using Orleans.Tts.Synthesis.Speakers;

namespace Orleans.Tts.Grains.Tests;

/// <summary>
/// Embeddings of <c>test:</c> voices, counted per speaker id and slowed down so that requests sent "at once" really
/// arrive while the first computation runs. One instance serves every silo of the test cluster (they share this process).
/// </summary>
public sealed class CountingEmbeddingProvider : ISpeakerEmbeddingProvider
{
    public static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(300);
    private readonly ConcurrentDictionary<string, int> _computed = new(StringComparer.Ordinal);

    public string Kind => "test";
    public bool CanCompute(SpeakerProfile profile) => profile.BaseVoiceId.StartsWith("test:", StringComparison.Ordinal);
    public int Computed(string speakerId) => _computed.GetValueOrDefault(speakerId);

    public async ValueTask<byte[]> ComputeAsync(SpeakerSource source, CancellationToken cancellationToken)
    {
        _computed.AddOrUpdate(source.Profile.Id, 1, (_, n) => n + 1);
        await Task.Delay(Delay, cancellationToken);
        return source.VoiceTable ?? System.Text.Encoding.UTF8.GetBytes($"{source.Profile.BaseVoiceId}@{source.Profile.Version}");
    }
}

/// <summary>Memory grain storage that refuses to write speakers whose id starts with <c>broken-</c>: a store outage for them alone.</summary>
public sealed class BrokenSpeakerStorage(IGrainStorage inner) : IGrainStorage
{
    private static bool Broken(GrainId id) => id.Key.ToString()!.StartsWith("broken-", StringComparison.Ordinal);

    public Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ReadStateAsync(stateName, grainId, grainState);

    public Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) =>
        Broken(grainId) ? throw new IOException("The test store refuses this write.") : inner.WriteStateAsync(stateName, grainId, grainState);

    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState) => inner.ClearStateAsync(stateName, grainId, grainState);
}

/// <summary>Three silos with memory grain storage named <c>tts</c> and the speaker services, as a silo registers them.</summary>
public sealed class SpeakerClusterFixture : IAsyncLifetime
{
    public static readonly CountingEmbeddingProvider Provider = new();
    public InProcessTestCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(3);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage("memory");
            silo.Services.AddKeyedSingleton<IGrainStorage>(Orleans.Tts.Grains.GrainStorage.Name, (sp, _) => new BrokenSpeakerStorage(sp.GetRequiredKeyedService<IGrainStorage>("memory")));
            // Orleans' own tests' failure detection: a 3-silo cluster settles in seconds, not a minute.
            silo.Configure<ClusterMembershipOptions>(o => (o.ProbeTimeout, o.NumMissedProbesLimit, o.TableRefreshTimeout) =
                (TimeSpan.FromSeconds(1), 1, TimeSpan.FromSeconds(2)));
            silo.Services.AddSingleton(TimeProvider.System);
            silo.Services.AddSingleton<ISpeakerEmbeddingProvider>(Provider);
            silo.Services.AddSpeakers(cacheBytes: 16 << 20);
        });
        Cluster = builder.Build();
        await Cluster.DeployAsync();
    }

    /// <summary>The speaker directory of each silo (what its synthesis uses).</summary>
    public IReadOnlyList<ISpeakerDirectory> Directories =>
        Cluster.Silos.Select(s => s.ServiceProvider.GetRequiredService<ISpeakerDirectory>()).ToList();

    public ISpeakerGrain Speaker(string id) => Cluster.Client.GetGrain<ISpeakerGrain>(id);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class SpeakerClusterCollection : ICollectionFixture<SpeakerClusterFixture>
{
    public const string Name = "speaker cluster";
}

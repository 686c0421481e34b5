using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Tts.Synthesis.Engines.Espeak;

namespace Orleans.Tts.Engine.Tests.Espeak;

/// <summary>One eSpeak engine with two host processes, shared by the tests of a collection.</summary>
public sealed class EspeakEngineFixture : IAsyncLifetime
{
    public EspeakEngine Engine { get; } = new(
        new EspeakEngineOptions { Hosts = 2 },
        new EspeakTextFrontEnd(TextFrontEnds.Mandarin.ToPinyin, TextFrontEnds.Japanese.ToKana, TextFrontEnds.Mandarin.ToPinyinMapped),
        NullLogger<EspeakEngine>.Instance);

    public Task InitializeAsync() => Engine.StartAsync(CancellationToken.None);

    public async Task DisposeAsync() => await Engine.DisposeAsync();
}

[CollectionDefinition(Name)]
public sealed class EspeakCollection : ICollectionFixture<EspeakEngineFixture>
{
    public const string Name = "espeak engine";
}

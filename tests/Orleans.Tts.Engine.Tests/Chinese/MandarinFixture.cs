using Orleans.Tts.Synthesis.Text.Chinese;

namespace Orleans.Tts.Engine.Tests.Chinese;

/// <summary>Loads the Debian Unihan table once for every Mandarin test class.</summary>
public sealed class MandarinFixture
{
    public MandarinFixture()
    {
        Readings = UnihanMandarinReadings.Load(UnihanMandarinReadings.DebianPath);
        FrontEnd = new MandarinFrontEnd(Readings, MandarinPhraseTable.Default);
    }

    public UnihanMandarinReadings Readings { get; }

    public MandarinFrontEnd FrontEnd { get; }
}

[CollectionDefinition(Name)]
public sealed class MandarinCollection : ICollectionFixture<MandarinFixture>
{
    public const string Name = "Mandarin";
}

using Orleans.Tts.Testing;

namespace Orleans.Tts.WebUi.Tests;

/// <summary>One real silo and one Chromium for every WebUI test.</summary>
[CollectionDefinition(Name)]
public sealed class WebUiCollection : ICollectionFixture<SiloFixture>, ICollectionFixture<ChromiumFixture>
{
    public const string Name = "WebUI against a real silo";
}

using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Orleans.Tts.Api.Tests;

/// <summary>The embedded default (Silo + Frontend in one process) in memory, shared by a test collection.</summary>
public sealed class SiloFactory : WebApplicationFactory<Program>
{
    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("TTS_WORKERS", "2");
        builder.UseSetting("TTS_WORKER_QUEUE", "64");
        builder.UseSetting("TTS_MAX_INPUT_CHARS", "4096");
    }
}

[CollectionDefinition(Name)]
public sealed class SiloCollection : ICollectionFixture<SiloFactory>
{
    public const string Name = "embedded silo";
}

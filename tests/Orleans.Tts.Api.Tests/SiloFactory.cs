using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;

namespace Orleans.Tts.Api.Tests;

/// <summary>The embedded default (Silo + Frontend in one process) in memory, with the given TTS_* settings.</summary>
public sealed class SiloFactory : WebApplicationFactory<Program>
{
    private readonly IReadOnlyDictionary<string, string> settings;

    /// <summary>Two workers, the default queue and input limit; the fixture shared by the "embedded silo" collection.</summary>
    public static readonly IReadOnlyDictionary<string, string> Embedded = new Dictionary<string, string>
    {
        ["TTS_WORKERS"] = "2", ["TTS_WORKER_QUEUE"] = "64", ["TTS_MAX_INPUT_CHARS"] = "4096",
    };

    /// <summary>One worker and a queue of two: the rest of a burst is refused at once. The two waiting requests are
    /// admitted however slow the machine is.</summary>
    public static readonly IReadOnlyDictionary<string, string> OneWorkerQueueOfTwo = new Dictionary<string, string>
    {
        ["TTS_WORKERS"] = "1", ["TTS_WORKER_QUEUE"] = "2", ["TTS_ADMISSION_WAIT_MS"] = "60000",
    };

    /// <summary>xunit builds collection fixtures through their only public constructor: this one, with <see cref="Embedded"/>.</summary>
    public SiloFactory() : this(Embedded) { }

    internal SiloFactory(IReadOnlyDictionary<string, string> settings) => this.settings = settings;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        foreach (var (key, value) in settings) builder.UseSetting(key, value);
    }
}

[CollectionDefinition(Name)]
public sealed class SiloCollection : ICollectionFixture<SiloFactory>
{
    public const string Name = "embedded silo";
}

using Xunit;
using Xunit.Abstractions;
using Xunit.Sdk;

namespace Orleans.Tts.Testing;

/// <summary>
/// xunit fixture owning one <see cref="SiloProcess"/>. Share it with a collection:
/// <code>
/// [CollectionDefinition(Name)] public sealed class SiloCollection : ICollectionFixture&lt;SiloFixture&gt; { public const string Name = "silo"; }
/// </code>
/// (xunit only finds collection definitions in the test assembly itself). Subclass and override
/// <see cref="CreateOptions"/> for extra environment variables.
/// </summary>
public class SiloFixture(IMessageSink diagnostics) : IAsyncLifetime
{
    private SiloProcess? _silo;

    public SiloProcess Silo => _silo ?? throw new InvalidOperationException("The silo has not been started (InitializeAsync).");

    public Uri BaseAddress => Silo.BaseAddress;

    public HttpClient HttpClient => Silo.HttpClient;

    protected virtual SiloProcessOptions CreateOptions() => new();

    public async Task InitializeAsync()
    {
        _silo = await SiloProcess.StartAsync(CreateOptions());
        diagnostics.OnMessage(new DiagnosticMessage($"Silo pid {_silo.ProcessId} ready at {_silo.BaseAddress}"));
    }

    public async Task DisposeAsync()
    {
        if (_silo is not null) await _silo.DisposeAsync();
    }
}

using System.Diagnostics;
using System.Globalization;

namespace Orleans.Tts.Testing;

/// <summary>
/// A redis-server of one test's own (<see cref="RedisServer.Start"/>), for tests that stop, hang or restart it: the shared one is
/// never touched. Restarted on the same port and directory (AOF), so clients reconnect to the same address.
/// </summary>
public sealed class PrivateRedis : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), $"tts-test-redis-{Guid.NewGuid():n}");
    private readonly string[] _settings;
    private Process _server;

    /// <param name="settings">More redis-server arguments (e.g. <c>--maxmemory 4mb</c>).</param>
    public PrivateRedis(params string[] settings)
    {
        _settings = settings;
        _server = RedisServer.Start(out var connection, _directory, settings: settings);
        ConnectionString = connection;
    }

    /// <summary>For StackExchange.Redis, <c>TTS_REDIS</c> or <c>TTS_REDIS_CACHE</c>.</summary>
    public string ConnectionString { get; }

    private int Port => int.Parse(ConnectionString.Split(':')[1], CultureInfo.InvariantCulture);

    public void Stop() => RedisServer.Stop(_server);

    public void Start()
    {
        if (_server.HasExited) _server = RedisServer.Start(out _, _directory, Port, _settings);
    }

    /// <summary>Sends a signal (<c>STOP</c>: the server hangs with its connections open; <c>CONT</c>: it goes on).</summary>
    public void Signal(string signal)
    {
        if (_server.HasExited) return;
        using var kill = Process.Start("kill", [$"-{signal}", _server.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public void Dispose()
    {
        Signal("CONT");
        Stop();
        Directory.Delete(_directory, recursive: true);
    }
}

using System.Diagnostics;
using System.Net.Sockets;

namespace Orleans.Tts.Testing;

/// <summary>
/// The tests' Redis: the one <c>./tts test</c> started (<c>TTS_TEST_REDIS</c>), or a throwaway <c>redis-server</c> on a free
/// loopback port started at first use, with AOF like production's state instance, and stopped when the test process exits.
/// Tests share the server; each cluster has its own Orleans cluster id (<see cref="NewClusterId"/>), so tests never see each
/// other's silos.
/// </summary>
public static class RedisServer
{
    private static readonly Lazy<string> Shared = new(StartShared);

    public static string ConnectionString => Shared.Value;

    /// <summary>A cluster id nobody else uses on the shared server.</summary>
    public static string NewClusterId(string prefix = "test") => $"{prefix}-{Guid.NewGuid().ToString("n")[..12]}";

    private static string StartShared()
    {
        if (Environment.GetEnvironmentVariable("TTS_TEST_REDIS") is { Length: > 0 } given) return given;
        var server = Start(out var connection, Path.Combine(Path.GetTempPath(), $"tts-test-redis-{Environment.ProcessId}"));
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop(server);
        return connection;
    }

    /// <summary>
    /// A redis-server of its own in <paramref name="directory"/> (AOF there, appendfsync everysec): for a test that stops and
    /// restarts Redis. The caller stops it (<see cref="Stop"/>); the connection string is for StackExchange.Redis and <c>TTS_REDIS</c>.
    /// <paramref name="settings"/> are more redis-server arguments (e.g. <c>--maxmemory 4mb</c>).
    /// </summary>
    public static Process Start(out string connectionString, string directory, int? port = null, params string[] settings)
    {
        Directory.CreateDirectory(directory);
        var chosen = port ?? SiloProcess.FreeLoopbackPort();
        var start = new ProcessStartInfo("redis-server")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", chosen.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory,
                     "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", "--daemonize", "no", "--protected-mode", "no" }.Concat(settings))
            start.ArgumentList.Add(arg);
        var process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start (apt-get install redis-server).");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect("127.0.0.1", chosen);
                break;
            }
            catch (SocketException) when (deadline.Elapsed < TimeSpan.FromSeconds(20) && !process.HasExited)
            {
                Thread.Sleep(50);
            }
        }
        if (process.HasExited) throw new InvalidOperationException($"redis-server exited at start (code {process.ExitCode}); port {chosen} taken?");
        connectionString = $"127.0.0.1:{chosen}";
        return process;
    }

    public static void Stop(Process server)
    {
        try
        {
            if (!server.HasExited)
            {
                server.Kill();
                server.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException) { }
    }
}

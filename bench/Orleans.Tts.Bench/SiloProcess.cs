using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Orleans.Tts.Bench;

/// <summary>A silo started by the benchmark on a free loopback port, killed (with its engine hosts) on disposal.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private const int KeptLines = 40;
    private readonly Process _process;
    private readonly Queue<string> _lastLines = new();

    public Uri BaseAddress { get; }
    public int ProcessId => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    private SiloProcess(Process process, Uri baseAddress)
    {
        _process = process;
        BaseAddress = baseAddress;
    }

    public static SiloProcess Start(string siloDll, int workers)
    {
        if (!File.Exists(siloDll)) throw new FileNotFoundException($"The silo was not found at '{siloDll}'; build it in Release (bench/run does).", siloDll);
        var port = FreePort();
        var info = new ProcessStartInfo(DotnetExecutable())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(siloDll);
        info.Environment["TTS_HOST"] = "127.0.0.1";
        info.Environment["TTS_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        info.Environment["TTS_WORKERS"] = workers.ToString(System.Globalization.CultureInfo.InvariantCulture);
        // The result cache off: the benchmark measures synthesis, and it repeats its sentences.
        info.Environment["TTS_CACHE_MEMORY_MB"] = "0";
        // Embedded single silo: no cluster store, whatever the caller's environment says.
        info.Environment.Remove("TTS_REDIS");
        info.Environment.Remove("TTS_REDIS_CACHE");
        info.Environment.Remove("ASPNETCORE_URLS");
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start the silo.");
        var silo = new SiloProcess(process, new Uri($"http://127.0.0.1:{port}/"));
        process.OutputDataReceived += (_, e) => silo.Keep(e.Data);
        process.ErrorDataReceived += (_, e) => silo.Keep(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>Polls GET /ready until it answers 200; fails if the silo exits or the deadline passes.</summary>
    public async Task WaitReadyAsync(HttpTarget client, TimeSpan timeout, CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        while (!await client.IsReadyAsync(ct))
        {
            if (_process.HasExited) throw new InvalidOperationException($"The silo exited with code {_process.ExitCode} before it was ready.\n{Output()}");
            if (Stopwatch.GetElapsedTime(started) > timeout)
                throw new TimeoutException($"The silo was not ready within {timeout.TotalSeconds:0} s.\n{Output()}");
            await Task.Delay(100, ct);
        }
    }

    /// <summary>The last lines the silo printed (for error messages).</summary>
    public string Output()
    {
        lock (_lastLines) return string.Join('\n', _lastLines);
    }

    private void Keep(string? line)
    {
        if (line is null) return;
        lock (_lastLines)
        {
            _lastLines.Enqueue(line);
            while (_lastLines.Count > KeptLines) _lastLines.Dequeue();
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string DotnetExecutable() =>
        Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet" ? self : "dotnet";

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (Exception e) when (e is InvalidOperationException or OperationCanceledException)
        {
            // already gone, or will be reaped by the system
        }
        _process.Dispose();
    }
}

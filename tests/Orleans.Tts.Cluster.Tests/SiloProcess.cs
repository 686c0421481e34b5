using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>A real silo process on a free loopback port; started with TTS_* settings, ready once /ready answers 200.</summary>
public sealed class SiloProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    public string Id { get; }
    public Uri BaseAddress { get; }
    public HttpClient Client { get; }
    public int Pid => _process.Id;

    private SiloProcess(Process process, string id, Uri baseAddress)
    {
        _process = process;
        Id = id;
        BaseAddress = baseAddress;
        Client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public static async Task<SiloProcess> StartAsync(string id, IReadOnlyDictionary<string, string> settings)
    {
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "Orleans.Tts.Silo.dll"));
        psi.Environment["TTS_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        psi.Environment["TTS_HOST"] = "127.0.0.1";
        psi.Environment["TTS_SILO_ID"] = id;
        psi.Environment["TTS_WORKERS"] = "1";
        psi.Environment["TTS_HEARTBEAT_MS"] = "200";
        psi.Environment["TTS_DEAD_SILO_SECONDS"] = "2";
        psi.Environment["ASPNETCORE_ENVIRONMENT"] = "Production";
        psi.Environment["Logging__LogLevel__Default"] = "Information";
        foreach (var (k, v) in settings) psi.Environment[k] = v;
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var silo = new SiloProcess(process, id, new Uri($"http://127.0.0.1:{port}"));
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (silo._output) silo._output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (silo._output) silo._output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await Poll.UntilAsync(async () =>
        {
            if (process.HasExited) throw new InvalidOperationException($"Silo {id} exited with {process.ExitCode}:\n{silo.Output}");
            try { return (await silo.Client.GetAsync("/ready")).StatusCode == HttpStatusCode.OK; }
            catch (HttpRequestException) { return false; }
        }, TimeSpan.FromSeconds(60), $"silo {id} ready");
        return silo;
    }

    public static async Task<SiloProcess[]> StartManyAsync(int count, Func<int, IReadOnlyDictionary<string, string>> settings, string prefix = "silo") =>
        await Task.WhenAll(Enumerable.Range(1, count).Select(i => StartAsync($"{prefix}{i}", settings(i))));

    /// <summary>kill -9: no drain, no goodbye.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGTERM, as an orchestrator would send.</summary>
    public void Terminate()
    {
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        if (!_process.HasExited)
        {
            try { _process.Kill(entireProcessTree: true); await _process.WaitForExitAsync(); }
            catch (InvalidOperationException) { }
        }
        _process.Dispose();
    }
}

public static class Poll
{
    /// <summary>Re-evaluates <paramref name="condition"/> until true; fails with <paramref name="what"/> after the deadline.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what)
    {
        var stopwatch = Stopwatch.StartNew();
        while (!await condition())
        {
            if (stopwatch.Elapsed > deadline) throw new TimeoutException($"Timed out after {deadline.TotalSeconds} s waiting for: {what}");
            await Task.Delay(25);
        }
    }
}

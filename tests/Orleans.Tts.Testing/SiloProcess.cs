using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Orleans.Tts.Testing;

/// <summary>
/// The real silo executable (<c>dotnet Orleans.Tts.Silo.dll</c>) running on a loopback port, ready to serve:
/// <see cref="StartAsync"/> returns once <c>GET /ready</c> answered 200. Its stdout/stderr are kept for
/// failure messages (<see cref="Output"/>). Disposing kills the whole process tree.
/// </summary>
public sealed class SiloProcess : IAsyncDisposable
{
    public const string SiloDllName = "Orleans.Tts.Silo.dll";

    private const int StartAttempts = 3;

    private readonly Process _process;
    private readonly OutputBuffer _output;
    private int _disposed;

    // Every silo this test process started and has not disposed: killed when the test process exits, so a fixture whose
    // start failed half-way (xunit then skips its DisposeAsync) leaves no silo running after the tests.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Process, byte> Running = new();

    static SiloProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) =>
    {
        foreach (var process in Running.Keys)
        {
            try { if (!process.HasExited) process.Kill(entireProcessTree: true); }
            catch (InvalidOperationException) { }
        }
    };

    private SiloProcess(Process process, OutputBuffer output, Uri baseAddress, string id)
    {
        Running[process] = 0;
        _process = process;
        _output = output;
        BaseAddress = baseAddress;
        Id = id;
        HttpClient = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(100) };
    }

    /// <summary>The silo id (<c>TTS_SILO_ID</c> when the options set it, else <c>pid-N</c>).</summary>
    public string Id { get; }

    /// <summary>e.g. <c>http://127.0.0.1:41234/</c>.</summary>
    public Uri BaseAddress { get; }

    /// <summary>A client whose <see cref="HttpClient.BaseAddress"/> is the silo.</summary>
    public HttpClient HttpClient { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the silo printed so far (the last <see cref="SiloProcessOptions.MaxOutputLines"/> lines).</summary>
    public string Output => _output.ToString();

    /// <summary>Number of output lines seen so far; pass it to <see cref="OutputSince"/> to get one test's share.</summary>
    public long OutputMark => _output.Count;

    public string OutputSince(long mark) => _output.Since(mark);

    /// <summary>Finds the silo dll, starts it on a free port and waits until it is ready.</summary>
    /// <exception cref="SiloStartException">It exited, or was not ready before the deadline.</exception>
    public static async Task<SiloProcess> StartAsync(SiloProcessOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new SiloProcessOptions();
        var dll = LocateSiloDll(options.SiloDllPath);
        for (var attempt = 1; ; attempt++)
        {
            var port = options.Port ?? FreeLoopbackPort(options.Host);
            var attemptOptions = WithOrleansPorts(options);
            var output = new OutputBuffer(options.MaxOutputLines, options.OnOutput);
            var process = Launch(dll, attemptOptions, port, output);
            var id = options.Environment.TryGetValue("TTS_SILO_ID", out var given) && given is { Length: > 0 } ? given : $"pid-{process.Id}";
            var silo = new SiloProcess(process, output, new UriBuilder("http", options.Host, port).Uri, id);
            try
            {
                await silo.WaitUntilReadyAsync(options, cancellationToken);
                return silo;
            }
            catch (SiloStartException e) when (attempt < StartAttempts && e.LooksLikePortClash)
            {
                // Someone took the port between probing and binding: try another one.
                await silo.DisposeAsync();
            }
            catch
            {
                await silo.DisposeAsync();
                throw;
            }
        }
    }

    /// <summary>
    /// A silo of a Redis cluster listens on Orleans' silo and gateway ports (11111 and 30000 by default): each start attempt
    /// gets free ones, so silos of parallel tests never collide. Ports the caller set are kept.
    /// </summary>
    private static SiloProcessOptions WithOrleansPorts(SiloProcessOptions options)
    {
        if (!options.Environment.ContainsKey("TTS_REDIS")) return options;
        foreach (var name in new[] { "TTS_SILO_PORT", "TTS_GATEWAY_PORT" })
            if (!options.Environment.ContainsKey(name))
                options = options.WithEnvironment(name, FreeLoopbackPort(options.Host).ToString(System.Globalization.CultureInfo.InvariantCulture));
        return options;
    }

    /// <summary>Starts <paramref name="count"/> silos at once; <paramref name="options"/> gets the 1-based index.</summary>
    public static async Task<SiloProcess[]> StartManyAsync(int count, Func<int, SiloProcessOptions> options, CancellationToken cancellationToken = default)
    {
        var starts = Enumerable.Range(1, count).Select(i => StartAsync(options(i), cancellationToken)).ToList();
        try
        {
            return await Task.WhenAll(starts);
        }
        catch
        {
            // Do not leak the ones that did start.
            foreach (var start in starts.Where(s => s.IsCompletedSuccessfully)) await start.Result.DisposeAsync();
            throw;
        }
    }

    /// <summary>kill -9 of the whole process tree: no drain, no goodbye.</summary>
    public void Kill()
    {
        try { _process.Kill(entireProcessTree: true); }
        catch (InvalidOperationException) { /* exited meanwhile */ }
    }

    /// <summary>SIGTERM, as an orchestrator sends it: the silo drains and exits.</summary>
    public void Terminate()
    {
        if (_process.HasExited) return;
        using var kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>Waits for the process to exit and returns its exit code.</summary>
    /// <exception cref="TimeoutException">It still runs after <paramref name="timeout"/>.</exception>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            throw new TimeoutException($"The silo (pid {_process.Id}) still runs after {timeout.TotalSeconds:0} s.{Environment.NewLine}{FormatOutput()}");
        }
        return _process.ExitCode;
    }

    /// <summary>Path of the silo dll next to the calling test assembly, checked to be runnable.</summary>
    public static string LocateSiloDll(string? path = null)
    {
        path ??= Path.Combine(AppContext.BaseDirectory, SiloDllName);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException(
                $"{path} is missing: the test project must reference Silo/Orleans.Tts.Silo.csproj so the silo is copied into its output.", path);
        }
        var runtimeConfig = Path.ChangeExtension(path, ".runtimeconfig.json");
        if (!File.Exists(runtimeConfig))
        {
            throw new FileNotFoundException(
                $"{runtimeConfig} is missing: without it `dotnet {Path.GetFileName(path)}` cannot start.", runtimeConfig);
        }
        return path;
    }

    /// <summary>A TCP port on <paramref name="host"/> that was free a moment ago.</summary>
    public static int FreeLoopbackPort(string host = "127.0.0.1")
    {
        // The kernel may hand the same ephemeral port to two probes in a row once the first listener is closed;
        // tests start many silos at once, so never give out a port this test process already gave out.
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Parse(host), 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            if (GivenPorts.TryAdd(port, 0)) return port;
        }
    }

    // Process-wide by nature: ports are a process-wide (machine-wide) resource.
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<int, byte> GivenPorts = new();

    /// <summary>Throws with the silo's output if it has exited; call it when a test sees something odd.</summary>
    public void EnsureRunning()
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException(
                $"The silo (pid {_process.Id}) exited with code {_process.ExitCode}.{Environment.NewLine}{FormatOutput()}");
        }
    }

    /// <summary>The captured output, framed for an assertion or exception message.</summary>
    public string FormatOutput(long sinceMark = 0)
    {
        var text = sinceMark > 0 ? OutputSince(sinceMark) : Output;
        return $"--- silo output ({BaseAddress}) ---{Environment.NewLine}{(text.Length == 0 ? "(nothing)" : text)}{Environment.NewLine}--- end of silo output ---";
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        HttpClient.Dispose();
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // Exited meanwhile.
        }
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            // Left to the OS; nothing more a test can do.
        }
        Running.TryRemove(_process, out _);
        _process.Dispose();
    }

    private static Process Launch(string dll, SiloProcessOptions options, int port, OutputBuffer output)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = Path.GetDirectoryName(dll)!,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        start.ArgumentList.Add(dll);
        foreach (var argument in options.Arguments) start.ArgumentList.Add(argument);

        // Kestrel must listen where we poll: drop inherited URL settings, then apply ours and the caller's.
        start.Environment.Remove("ASPNETCORE_URLS");
        start.Environment.Remove("DOTNET_URLS");
        start.Environment.Remove("ASPNETCORE_HTTP_PORTS");
        start.Environment.Remove("ASPNETCORE_HTTPS_PORTS");
        start.Environment["TTS_HOST"] = options.Host;
        start.Environment["TTS_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in options.Environment)
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Add(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Add("[stderr] " + e.Data); };
        output.Add($"[launch] {start.FileName} {string.Join(' ', start.ArgumentList)} (TTS_HOST={options.Host}, TTS_PORT={port})");
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return process;
    }

    /// <summary>The dotnet host running these tests, so the silo gets the same runtime.</summary>
    public static string DotnetHost()
    {
        var fromSdk = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromSdk) && File.Exists(fromSdk)) return fromSdk;
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            return current;
        }
        return "dotnet";
    }

    private async Task WaitUntilReadyAsync(SiloProcessOptions options, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        using var poller = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(5) };
        var last = "no answer yet";
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process.HasExited)
            {
                // Let the output readers drain before quoting them.
                await _process.WaitForExitAsync(cancellationToken);
                throw new SiloStartException(
                    $"The silo exited with code {_process.ExitCode} before it was ready (after {clock.Elapsed.TotalSeconds:0.0} s).{Environment.NewLine}{FormatOutput()}",
                    Output);
            }
            try
            {
                using var response = await poller.GetAsync("ready", cancellationToken);
                if (response.StatusCode == HttpStatusCode.OK) return;
                var body = await response.Content.ReadAsStringAsync(cancellationToken);
                last = $"{(int)response.StatusCode} {response.StatusCode}: {Truncate(body, 500)}";
            }
            catch (HttpRequestException e)
            {
                last = e.Message;
            }
            catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                last = "GET /ready timed out";
            }
            if (clock.Elapsed >= options.ReadyTimeout)
            {
                throw new SiloStartException(
                    $"The silo was not ready within {options.ReadyTimeout.TotalSeconds:0} s; last GET {BaseAddress}ready: {last}.{Environment.NewLine}{FormatOutput()}",
                    Output);
            }
            await Task.Delay(options.PollInterval, cancellationToken);
        }
    }

    private static string Truncate(string s, int max) => s.Length <= max ? s : s[..max] + "…";

    /// <summary>Thread-safe ring of the last output lines.</summary>
    private sealed class OutputBuffer(int capacity, Action<string>? onLine)
    {
        private readonly Queue<(long Index, string Line)> _lines = new();
        private long _count;

        public long Count { get { lock (_lines) return _count; } }

        public void Add(string line)
        {
            lock (_lines)
            {
                _lines.Enqueue((_count++, line));
                while (_lines.Count > capacity) _lines.Dequeue();
            }
            try { onLine?.Invoke(line); }
            catch (InvalidOperationException) { /* e.g. a test output helper used after its test ended */ }
        }

        public string Since(long mark)
        {
            lock (_lines) return string.Join(Environment.NewLine, _lines.Where(l => l.Index >= mark).Select(l => l.Line));
        }

        public override string ToString() => Since(0);
    }
}

/// <summary>The silo did not become ready; <see cref="Output"/> has what it printed.</summary>
public sealed class SiloStartException(string message, string output) : Exception(message)
{
    public string Output { get; } = output;

    internal bool LooksLikePortClash =>
        Output.Contains("address already in use", StringComparison.OrdinalIgnoreCase)
        || Output.Contains("AddressInUse", StringComparison.Ordinal);
}

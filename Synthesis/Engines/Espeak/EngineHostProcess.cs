using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Synthesis.Engines.Espeak;

/// <summary>
/// One engine-host child process and the pipe to it. Used by one caller at a time (the engine's
/// pool hands it out exclusively); if it faults it is killed and never reused.
/// </summary>
internal sealed class EngineHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Stream _stdin;
    private readonly Stream _stdout;
    private readonly ILogger _logger;

    public int ProcessId => _process.Id;
    /// <summary>Runs only background (job) sentences, at below-normal priority.</summary>
    public bool Background { get; private set; }
    public int SampleRate { get; private set; }
    public string Version { get; private set; } = "";
    public bool Faulted { get; private set; }
    public bool HasExited => _process.HasExited;

    private EngineHostProcess(Process process, ILogger logger)
    {
        _process = process;
        _stdin = process.StandardInput.BaseStream;
        _stdout = process.StandardOutput.BaseStream;
        _logger = logger;
    }

    public static async Task<EngineHostProcess> StartAsync(EspeakEngineOptions options, ILogger logger, CancellationToken ct, bool background = false)
    {
        var (fileName, arguments) = options.ResolveHostCommand();
        var info = new ProcessStartInfo(fileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments) info.ArgumentList.Add(a);
        // Each host is single-threaded by design; keep its runtime small.
        info.Environment["DOTNET_gcServer"] = "0";
        info.Environment["DOTNET_GCHeapHardLimit"] = "0x10000000";
        info.Environment["DOTNET_TieredPGO"] = "0";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start engine host '{fileName}'.");
        process.ErrorDataReceived += (_, e) =>
        {
            if (!string.IsNullOrWhiteSpace(e.Data)) logger.LogWarning("engine host {Pid}: {Line}", process.Id, e.Data);
        };
        process.BeginErrorReadLine();
        if (background)
        {
            // Raising a child's nice value needs no privilege; where it is refused the host still works, at normal priority.
            try { process.PriorityClass = ProcessPriorityClass.BelowNormal; }
            catch (Exception e) when (e is System.ComponentModel.Win32Exception or InvalidOperationException or PlatformNotSupportedException)
            {
                logger.LogWarning("Background engine host {Pid} keeps normal priority: {Reason}", process.Id, e.Message);
            }
        }

        var host = new EngineHostProcess(process, logger) { Background = background };
        try
        {
            var hello = await host.CallAsync(new HostRequest("hello"), options.StartTimeout, ct);
            host.SampleRate = hello.Response.SampleRate;
            host.Version = hello.Response.Version ?? "";
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    public Task<(HostResponse Response, short[] Pcm)> CallAsync(HostRequest request, TimeSpan timeout, CancellationToken ct) =>
        CallAsync(request, timeout, static async (response, stdout, token) =>
            response.SampleCount > 0
                ? await HostFraming.ReadPcmFrameAsync(stdout, response.SampleCount, token)
                  ?? throw new EndOfStreamException("The engine host closed its output before the audio.")
                : Array.Empty<short>(), ct);

    /// <summary>A synthesis whose audio comes back packed (<see cref="Orleans.Tts.Audio.Codecs.PackedPcm"/>), in a rented buffer the returned sentence owns.</summary>
    public async Task<(HostResponse Response, PackedSentence Packed)> CallPackedAsync(HostRequest request, TimeSpan timeout, CancellationToken ct)
    {
        var (response, packed) = await CallAsync<PackedSentence?>(request with { Packed = true }, timeout, static async (response, stdout, token) =>
        {
            // A failed synthesis has no audio frame; the failure is thrown once the response is read.
            if (response.PackedBytes is not { } length) return response.Ok ? throw new InvalidDataException("The engine host did not pack the audio.") : null;
            var rented = await HostFraming.ReadRentedFrameAsync(stdout, length, token)
                         ?? throw new EndOfStreamException("The engine host closed its output before the audio.");
            return new PackedSentence(response.SampleRate, response.SampleCount, rented, length);
        }, ct);
        return (response, packed!);
    }

    private async Task<(HostResponse Response, T Body)> CallAsync<T>(HostRequest request, TimeSpan timeout,
        Func<HostResponse, Stream, CancellationToken, ValueTask<T>> readBody, CancellationToken ct)
    {
        if (Faulted) throw new EngineHostFaultedException($"Engine host {ProcessId} already faulted.");
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(ct);
        deadline.CancelAfter(timeout);
        try
        {
            await HostFraming.WriteJsonAsync(_stdin, request, deadline.Token);
            await _stdin.FlushAsync(deadline.Token);
            var frame = await HostFraming.ReadFrameAsync(_stdout, deadline.Token)
                        ?? throw new EndOfStreamException("The engine host closed its output.");
            var response = HostFraming.ReadJson<HostResponse>(frame);
            var body = await readBody(response, _stdout, deadline.Token);
            if (!response.Ok)
            {
                (body as IDisposable)?.Dispose();
                throw new EspeakException(response.Error ?? "The engine host failed.");
            }
            return (response, body);
        }
        catch (Exception e) when (e is IOException or EndOfStreamException or InvalidDataException or ObjectDisposedException
                                       or System.Text.Json.JsonException || (e is OperationCanceledException && !ct.IsCancellationRequested))
        {
            // The pipe is now in an unknown state (mid-frame, dead process or a hang): never reuse it.
            Faulted = true;
            var why = e is OperationCanceledException ? $"did not answer within {timeout.TotalSeconds:0.#} s" : e.Message;
            _logger.LogWarning("Engine host {Pid} faulted: {Reason}", SafeId(), why);
            Kill();
            throw new EngineHostFaultedException($"Engine host {SafeId()} faulted: {why}", e);
        }
        catch (OperationCanceledException)
        {
            // The caller gave up mid-call; the reply would arrive on a pipe nobody reads in step.
            Faulted = true;
            Kill();
            throw;
        }
    }

    private int SafeId()
    {
        try { return _process.Id; } catch (InvalidOperationException) { return -1; }
    }

    private void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // already gone
        }
    }

    public async ValueTask DisposeAsync()
    {
        try { _stdin.Close(); } catch (IOException) { }
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _process.WaitForExitAsync(wait.Token); }
        catch (OperationCanceledException) { Kill(); }
        _process.Dispose();
    }
}

public sealed class EngineHostFaultedException(string message, Exception? inner = null) : EngineUnavailableException(message, inner);

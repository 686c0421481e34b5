using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Orleans.Tts.Synthesis.Onnx;

/// <summary>
/// The loaded ONNX Runtime library and its <c>OrtEnv</c>, whose log messages go to an <see cref="ILogger"/>.
/// Create one per process and share it: ONNX Runtime keeps a single environment per process, so a
/// second instance shares the first one's environment and log sink.
/// </summary>
public sealed unsafe class OnnxRuntime : IDisposable
{
    private readonly LogSink sink;
    private volatile bool disposed;

    private OnnxRuntime(OrtApi api, OrtEnvHandle env, LogSink sink)
    {
        Api = api;
        Env = env;
        this.sink = sink;
    }

    /// <summary>The library's version string, e.g. <c>1.30.0</c>.</summary>
    public string Version => Api.Version;

    /// <summary>The C API version in use.</summary>
    public uint ApiVersion => Api.ApiVersion;

    /// <summary>Where the library was loaded from.</summary>
    public string LibraryPath => Api.LibraryPath;

    internal OrtApi Api { get; }

    internal OrtEnvHandle Env { get; }

    /// <summary>
    /// Loads ONNX Runtime and creates its environment. The library is <paramref name="libraryPath"/> if given,
    /// else <c>$TTS_ONNXRUNTIME_LIBRARY</c>, else <c>libonnxruntime.so.1</c> next to the application, else the
    /// system search path; when none exists the error names <c>scripts/install-onnxruntime.sh</c>.
    /// </summary>
    public static OnnxRuntime Create(ILogger? logger = null, string? libraryPath = null)
    {
        var api = OrtApi.Load(libraryPath);
        logger ??= NullLogger.Instance;
        var sink = new LogSink(logger);
        // ONNX Runtime may call the logger at any time until the process-wide environment is gone, which can
        // be after this instance is disposed (another instance may share it), so the handle is never freed:
        // Dispose only detaches the logger.
        var sinkHandle = GCHandle.Alloc(sink);
        var env = new OrtEnvHandle(api);
        var logId = OrtApi.Utf8Z("orleans-tts");
        nint envPointer;
        fixed (byte* logIdPointer = logId)
        {
            var status = api.CreateEnvWithCustomLogger(&OnLog, GCHandle.ToIntPtr(sinkHandle), MinimumSeverity(logger), logIdPointer, &envPointer);
            if (status != 0)
            {
                sinkHandle.Free();
                throw api.ToException(status, "creating the environment");
            }
        }
        env.Attach(envPointer);
        return new OnnxRuntime(api, env, sink);
    }

    internal bool IsDisposed => disposed;

    /// <summary>Loads a model file into a session shared by all threads.</summary>
    public OnnxSession OpenSession(string modelPath, OnnxSessionOptions? options = null) =>
        new(this, modelPath, options);

    /// <summary>Loads a model from its bytes into a session shared by all threads.</summary>
    public OnnxSession OpenSession(byte[] model, OnnxSessionOptions? options = null) =>
        new(this, model, options);

    /// <summary>Releases the environment once every session opened from it is disposed too.</summary>
    public void Dispose()
    {
        disposed = true;
        Env.Dispose();
        sink.Detach();
    }

    // OrtLoggingLevel: VERBOSE, INFO, WARNING, ERROR, FATAL.
    private static LogLevel ToLogLevel(int severity) => severity switch
    {
        0 => LogLevel.Trace,
        1 => LogLevel.Debug,
        2 => LogLevel.Warning,
        3 => LogLevel.Error,
        _ => LogLevel.Critical,
    };

    private static int MinimumSeverity(ILogger logger)
    {
        for (var severity = 0; severity < 4; severity++)
            if (logger.IsEnabled(ToLogLevel(severity)))
                return severity;
        return 4;
    }

    [UnmanagedCallersOnly]
    private static void OnLog(nint param, int severity, byte* category, byte* logId, byte* codeLocation, byte* message)
    {
        // An exception must never cross back into native code.
        try
        {
            if (GCHandle.FromIntPtr(param).Target is LogSink sink)
                sink.Write(
                    ToLogLevel(severity),
                    Marshal.PtrToStringUTF8((nint)category) ?? "",
                    Marshal.PtrToStringUTF8((nint)codeLocation) ?? "",
                    Marshal.PtrToStringUTF8((nint)message) ?? "");
        }
        catch
        {
            // Logging is best effort.
        }
    }

    private sealed class LogSink(ILogger logger)
    {
        private volatile ILogger? target = logger;

        public void Detach() => target = null;

        public void Write(LogLevel level, string category, string location, string message)
        {
            var log = target;
            if (log is not null && log.IsEnabled(level))
                log.Log(level, "onnxruntime [{Category}] {Message} ({Location})", category, message, location);
        }
    }
}

using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace Orleans.Tts.Synthesis.Engines.Models;

/// <summary>
/// The process's ONNX Runtime environment, created when the first model loads (a silo without models never loads the
/// native library), its log messages sent to an <see cref="ILogger"/>, and the session options every model shares.
/// </summary>
public sealed class OnnxRuntimeProvider(ModelOptions options, ILoggerFactory loggers) : IDisposable
{
    private readonly Lock _gate = new();
    private OrtEnv? _environment;
    private Exception? _failure;

    /// <summary>ONNX Runtime's version, e.g. <c>1.32.0</c>; loads the library if no model has.</summary>
    public string Version => Environment.GetVersionString();

    private OrtEnv Environment
    {
        get
        {
            lock (_gate)
            {
                if (_environment is not null) return _environment;
                // A library that did not load will not load at the next reload either; remember why so each model reports it.
                if (_failure is not null) throw new InvalidOperationException(_failure.Message, _failure);
                try
                {
                    return _environment = OnnxLog.Attach(loggers.CreateLogger("Orleans.Tts.OnnxRuntime"));
                }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or TypeInitializationException or OnnxRuntimeException)
                {
                    _failure = new InvalidOperationException($"ONNX Runtime (NuGet Microsoft.ML.OnnxRuntime) could not be loaded: {e.Message}", e);
                    throw _failure;
                }
            }
        }
    }

    /// <summary>A session for one model, shared by every thread.</summary>
    public OnnxModel Open(string modelPath)
    {
        _ = Environment;
        return OnnxModel.Open(modelPath, new OnnxModelOptions(IntraOpThreads: options.IntraOpThreads, InterOpThreads: 1));
    }

    public void Dispose()
    {
        // The environment is the process's (OrtEnv is a singleton that sessions of other providers may still use): only
        // stop sending its messages to this provider's logger.
        lock (_gate)
            if (_environment is not null) OnnxLog.Detach();
    }
}

/// <summary>
/// Routes ONNX Runtime's log to an <see cref="ILogger"/>. There is one environment per process, created with one
/// logging callback, so the callback is static and the logger it writes to can be swapped.
/// </summary>
internal static class OnnxLog
{
    private static volatile ILogger? s_target;
    private static readonly Lock s_gate = new();
    private static OrtEnv? s_environment;

    public static OrtEnv Attach(ILogger logger)
    {
        lock (s_gate)
        {
            s_target = logger;
            if (s_environment is not null) return s_environment;
            var creation = new EnvironmentCreationOptions
            {
                logId = "orleans-tts",
                logLevel = MinimumLevel(logger),
                loggingFunction = Write,
            };
            try
            {
                return s_environment = OrtEnv.CreateInstanceWithOptions(ref creation);
            }
            catch (OnnxRuntimeException) when (OrtEnv.Instance() is { } existing)
            {
                // Something in this process opened a session before any provider (OrtEnv.Instance() creates the
                // environment then): serve on that environment; only its log does not reach the logger.
                return s_environment = existing;
            }
        }
    }

    public static void Detach() => s_target = null;

    private static OrtLoggingLevel MinimumLevel(ILogger logger)
    {
        foreach (var level in (OrtLoggingLevel[])[OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE, OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO,
            OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING, OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR])
            if (logger.IsEnabled(ToLogLevel(level)))
                return level;
        return OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
    }

    private static LogLevel ToLogLevel(OrtLoggingLevel level) => level switch
    {
        OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE => LogLevel.Trace,
        OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO => LogLevel.Debug,
        OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING => LogLevel.Warning,
        OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR => LogLevel.Error,
        _ => LogLevel.Critical,
    };

    private static void Write(IntPtr param, OrtLoggingLevel severity, string category, string logId, string codeLocation, string message)
    {
        // Called from native code: an exception must never cross back into it.
        try
        {
            var log = s_target;
            var level = ToLogLevel(severity);
            if (log is not null && log.IsEnabled(level))
                log.Log(level, "onnxruntime [{Category}] {Message} ({Location})", category, message, codeLocation);
        }
        catch
        {
            // Logging is best effort.
        }
    }
}

using Microsoft.Extensions.Logging;
using Orleans.Tts.Synthesis.Onnx;

namespace Orleans.Tts.Synthesis.Engines.Models;

/// <summary>
/// The process's one ONNX Runtime environment, created when the first model loads (a silo without
/// models never needs the native library), and the session options every model shares.
/// </summary>
public sealed class OnnxRuntimeProvider(ModelOptions options, ILoggerFactory loggers) : IDisposable
{
    private readonly Lock _gate = new();
    private OnnxRuntime? _runtime;
    private Exception? _failure;

    public OnnxRuntime Runtime
    {
        get
        {
            lock (_gate)
            {
                if (_runtime is not null) return _runtime;
                // A missing library does not appear between reloads; remember why so each model reports it.
                if (_failure is not null) throw new InvalidOperationException(_failure.Message, _failure);
                try
                {
                    return _runtime = OnnxRuntime.Create(loggers.CreateLogger("Orleans.Tts.OnnxRuntime"));
                }
                catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException or OnnxRuntimeException)
                {
                    _failure = e;
                    throw;
                }
            }
        }
    }

    /// <summary>A session for one model, shared by every thread.</summary>
    public OnnxSession Open(string modelPath) =>
        Runtime.OpenSession(modelPath, new OnnxSessionOptions(IntraOpThreads: options.IntraOpThreads, InterOpThreads: 1));

    public void Dispose()
    {
        lock (_gate) _runtime?.Dispose();
    }
}

using Microsoft.Extensions.Logging;
using Orleans.Tts.Models;

namespace Orleans.Tts.Synthesis.Engines.Models;

/// <summary>A loaded file (model or voice table) that a reload keeps while its <see cref="Stamp"/> is unchanged.</summary>
public interface IStampedFile
{
    ModelFileStamp Stamp { get; }
}

/// <summary>One engine's set of loaded models, swapped whole by a reload.</summary>
public interface ILoadedModels<TSelf> where TSelf : class, ILoadedModels<TSelf>
{
    /// <summary>The native resources this set holds (ONNX sessions); freed once a reload drops or replaces them.</summary>
    IEnumerable<IDisposable> Models { get; }

    /// <summary>Files that did not load at the scan that built this set.</summary>
    IReadOnlyList<ModelLoadFailure> Failures { get; }

    /// <summary>The same models with other failures (the directory itself could not be read).</summary>
    TSelf WithFailures(IReadOnlyList<ModelLoadFailure> failures);
}

/// <summary>
/// The model-directory bookkeeping of a reloadable engine (Piper, Kokoro): the models directory <c>TTS_MODELS_DIR</c>, one scan at a
/// time, the new set swapped in at once (requests in flight keep the set they started with), an unreadable directory keeping the
/// loaded set and saying why, models a reload dropped or replaced freed, and failures listed in <c>/ready</c> details.
/// </summary>
public sealed class ModelDirectory<TSet>(string engine, ModelOptions options, TSet empty, ILogger logger) : IDisposable
    where TSet : class, ILoadedModels<TSet>
{
    private readonly SemaphoreSlim _reloading = new(1, 1);
    private readonly TSet _empty = empty;
    private volatile TSet _current = empty;
    private int _disposed;

    /// <summary>The set in use now.</summary>
    public TSet Current => _current;

    /// <summary>The models directory (<c>TTS_MODELS_DIR</c>); each engine recognises its models by their files (<see cref="ModelFiles"/>).</summary>
    public string Root => options.FullDirectory;

    /// <summary>
    /// Builds the next set with <paramref name="scan"/> (given the current set, to keep unchanged files, and a <see cref="ModelScan"/>
    /// to report failures) and swaps it in; without the models directory the set is empty.
    /// </summary>
    public async Task ReloadAsync(Func<TSet, ModelScan, TSet> scan, CancellationToken cancellationToken)
    {
        await _reloading.WaitAsync(cancellationToken);
        try
        {
            var old = _current;
            TSet next;
            try
            {
                next = Directory.Exists(Root) ? scan(old, new ModelScan(engine, options, logger)) : _empty;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // The directory itself could not be read: keep serving what is loaded, and say why.
                logger.LogError("{Engine} models could not be scanned: {Reason}", engine, e.Message);
                next = old.WithFailures([new ModelLoadFailure(engine, engine, e.Message)]);
            }
            _current = next;
            // Models no longer in the set are freed once the runs already using them finish.
            var kept = next.Models.ToHashSet(ReferenceEqualityComparer.Instance);
            foreach (var model in old.Models)
                if (!kept.Contains(model)) model.Dispose();
        }
        finally
        {
            _reloading.Release();
        }
    }

    /// <summary>Adds <c>engine.failed:&lt;file&gt;</c> for each failure of the current set to <c>/ready</c> details.</summary>
    public Dictionary<string, string> WithFailureFacts(Dictionary<string, string> facts)
    {
        foreach (var f in _current.Failures) facts[$"{engine}.failed:{f.Path}"] = f.Error;
        return facts;
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        foreach (var model in _current.Models) model.Dispose();
        _current = _empty;
    }
}

/// <summary>One scan of an engine's folder: records and logs the files that fail, keeps unchanged files from the previous set.</summary>
public sealed class ModelScan(string engine, ModelOptions options, ILogger logger)
{
    private readonly List<ModelLoadFailure> _failures = [];

    public IReadOnlyList<ModelLoadFailure> Failures => _failures;

    /// <summary>Records that <paramref name="path"/> did not load and why (shown relative to the models directory).</summary>
    public void Fail(string path, string error)
    {
        var relative = options.Relative(path);
        _failures.Add(new ModelLoadFailure(engine, relative, error));
        logger.LogError("{Engine} file {File} did not load: {Reason}", engine, relative, error);
    }

    /// <summary>Runs <paramref name="load"/> for one file; a failure (other than cancellation) is recorded and gives false.</summary>
    public bool Try(string path, Action load)
    {
        try
        {
            load();
            return true;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            Fail(path, e.Message);
            return false;
        }
    }

    /// <summary>The previously loaded file when its stamp is unchanged, else a fresh load.</summary>
    public static T Reuse<T>(T? previous, ModelFileStamp stamp, Func<T> load) where T : class, IStampedFile =>
        previous is not null && previous.Stamp == stamp ? previous : load();
}

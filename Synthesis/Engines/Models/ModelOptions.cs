namespace Orleans.Tts.Synthesis.Engines.Models;

/// <summary>Where neural voice models live and how their ONNX sessions use the cores.</summary>
public sealed class ModelOptions
{
    /// <summary>The models directory (<c>TTS_MODELS_DIR</c>, default <c>./models</c>): Piper and Kokoro models anywhere below it (<see cref="ModelFiles"/>).</summary>
    public string Directory { get; set; } = "models";

    /// <summary>
    /// Threads one inference may use (<c>TTS_ONNX_THREADS</c>); default: cores ÷ workers, so that all workers
    /// running at once use about every core once.
    /// </summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>Sentences rendered at once (the worker pool's parallelism).</summary>
    public int Parallelism { get; set; } = Environment.ProcessorCount;

    /// <summary>Silence after each Piper sentence, as Piper's own <c>--sentence_silence</c> (0.2 s).</summary>
    public TimeSpan PiperSentenceSilence { get; set; } = TimeSpan.FromSeconds(0.2);

    /// <summary>The directory as an absolute path.</summary>
    public string FullDirectory => Path.GetFullPath(Directory);

    /// <summary>A path shown relative to the models directory.</summary>
    public string Relative(string path) => Path.GetRelativePath(FullDirectory, path);
}

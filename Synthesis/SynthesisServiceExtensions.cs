using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Synthesis.Engines;
using Orleans.Tts.Synthesis.Engines.Espeak;
using Orleans.Tts.Synthesis.Engines.Kokoro;
using Orleans.Tts.Synthesis.Engines.Models;
using Orleans.Tts.Synthesis.Engines.Phonemes;
using Orleans.Tts.Synthesis.Engines.Piper;
using Orleans.Tts.Synthesis.Text.Chinese;
using Orleans.Tts.Synthesis.Text.Japanese;
using Orleans.Tts.Synthesis.Text.Normalization;
using Orleans.Tts.Synthesis.Workers;
using Orleans.Tts.Models;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.Synthesis;

/// <summary>Registration of the grains a silo hosts, configured from TTS_* settings.</summary>
public static class SynthesisServiceExtensions
{
    /// <summary>
    /// Han→pinyin (Unihan) and kanji→kana (MeCab) front ends, loaded once per silo; the Unihan readings through a copy of
    /// their kMandarin lines in <paramref name="cacheDirectory"/> (TTS_CACHE_DIR, default ~/.cache/orleans-tts) when it is writable.
    /// </summary>
    public static IServiceCollection AddTextFrontEnds(this IServiceCollection services, string? cacheDirectory = null)
    {
        services.AddSingleton(sp => Timed(sp, "Unihan Mandarin readings", () => MandarinFrontEnd.LoadDefault(cacheDirectory)));
        services.AddSingleton<IKanaConverter>(sp => Timed(sp, "MeCab dictionary", MecabKanaConverter.Create));
        return services;
    }

    /// <summary>Loads a start-up resource and logs how long it took (start-up phases are part of how fast a replacement silo serves).</summary>
    private static T Timed<T>(IServiceProvider services, string what, Func<T> load)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var cpu = Environment.CpuUsage.TotalTime;
        var value = load();
        services.GetService<Microsoft.Extensions.Logging.ILoggerFactory>()?.CreateLogger(typeof(SynthesisServiceExtensions))
            .LogInformation("Start-up: {What} loaded in {Milliseconds:0} ms ({Cpu:0} ms CPU of this process)", what, clock.Elapsed.TotalMilliseconds,
                (Environment.CpuUsage.TotalTime - cpu).TotalMilliseconds);
        return value;
    }

    /// <summary>
    /// eSpeak NG voices in isolated engine-host processes (TTS_ESPEAK_HOSTS, TTS_ENGINE_HOST), and as many more at below-normal
    /// priority for job sentences as job workers (TTS_ESPEAK_BACKGROUND_HOSTS, default TTS_JOB_MAX_WORKERS; 0: jobs share the hosts).
    /// </summary>
    public static IServiceCollection AddEspeakEngine(this IServiceCollection services, IConfiguration config, int defaultHosts)
    {
        var jobWorkers = Setting.PositiveInt(config, "TTS_JOB_MAX_WORKERS", Math.Max(1, defaultHosts / 2), max: Math.Max(1, defaultHosts));
        services.AddSingleton(new EspeakEngineOptions
        {
            Hosts = Setting.PositiveInt(config, "TTS_ESPEAK_HOSTS", defaultHosts),
            BackgroundHosts = Setting.PositiveInt(config, "TTS_ESPEAK_BACKGROUND_HOSTS", jobWorkers, min: 0, max: 64),
            HostPath = config["TTS_ENGINE_HOST"] is { Length: > 0 } p ? p : null,
        });
        services.AddSingleton(sp => new EspeakTextFrontEnd(
            sp.GetRequiredService<MandarinFrontEnd>().ToPinyin,
            sp.GetRequiredService<IKanaConverter>().ToKana,
            sp.GetRequiredService<MandarinFrontEnd>().ToPinyinMapped));
        services.AddSingleton<EspeakEngine>();
        services.AddSingleton<ITtsEngine>(sp => sp.GetRequiredService<EspeakEngine>());
        return services;
    }

    /// <summary>
    /// Neural voices from the models directory (TTS_MODELS_DIR, default ./models): Piper and Kokoro models anywhere in it,
    /// recognised by their files (<see cref="ModelFiles"/>). One ONNX Runtime environment and one session per model, each inference on TTS_ONNX_THREADS
    /// threads (default cores ÷ workers). Needs the eSpeak engine, which phonemises for them.
    /// </summary>
    public static IServiceCollection AddOnnxVoices(this IServiceCollection services, IConfiguration config, int workers)
    {
        services.AddSingleton(new ModelOptions
        {
            Directory = config["TTS_MODELS_DIR"] is { Length: > 0 } dir ? dir : "models",
            IntraOpThreads = Setting.PositiveInt(config, "TTS_ONNX_THREADS", Math.Max(1, Environment.ProcessorCount / Math.Max(1, workers)), max: 256),
            Parallelism = workers,
        });
        services.AddSingleton<OnnxRuntimeProvider>();
        services.AddSingleton<InferenceThreads>();
        services.AddSingleton<IPhonemizer>(sp => sp.GetRequiredService<EspeakEngine>());
        services.AddSingleton<PhonemeFrontEnd>();
        services.AddSingleton<PiperEngine>();
        services.AddSingleton<ITtsEngine>(sp => sp.GetRequiredService<PiperEngine>());
        services.AddSingleton<KokoroEngine>();
        services.AddSingleton<ITtsEngine>(sp => sp.GetRequiredService<KokoroEngine>());
        services.AddSingleton<Orleans.Tts.Synthesis.Speakers.ISpeakerEmbeddingProvider, KokoroStyleEmbeddingProvider>();
        return services;
    }

    /// <summary>
    /// A frontend's planner (normalisation and sentence splitting, no engines): it cuts texts as the silos do, with the same
    /// TTS_MAX_SENTENCE_CHARS, and sends each silo only the sentences it synthesises.
    /// </summary>
    public static IServiceCollection AddSynthesisPlanner(this IServiceCollection services, IConfiguration config)
    {
        services.TryAddSingleton(SpeechTextNormalizer.Default);
        services.AddSingleton<ISynthesisPlanner>(sp => new SynthesisPlanner(sp.GetRequiredService<SpeechTextNormalizer>(), MaxSentenceChars(config)));
        return services;
    }

    /// <summary>TTS_MAX_SENTENCE_CHARS (300, at least 40): the longest sentence the planners synthesise in one piece.</summary>
    public static int MaxSentenceChars(IConfiguration config) => Setting.PositiveInt(config, "TTS_MAX_SENTENCE_CHARS", 300, min: 40);

    /// <summary>The silo's synthesis worker pool over every registered engine (TTS_WORKERS, TTS_WORKER_QUEUE).</summary>
    public static IServiceCollection AddSynthesisWorkers(this IServiceCollection services, IConfiguration config, int workers)
    {
        services.AddSingleton(new WorkerPoolOptions
        {
            Parallelism = workers,
            QueueLimit = Setting.PositiveInt(config, "TTS_WORKER_QUEUE", 64, min: 0),
            MaxSentenceChars = MaxSentenceChars(config),
            RequestParallelism = config["TTS_REQUEST_PARALLELISM"] is { Length: > 0 } ? Setting.PositiveInt(config, "TTS_REQUEST_PARALLELISM", 1, max: workers) : null,
        });
        services.TryAddSingleton(SpeechTextNormalizer.Default);
        services.AddTtsMetrics();
        services.AddSingleton<SynthesisWorkerPool>();
        services.AddSingleton<ISynthesisWorker>(sp => sp.GetRequiredService<SynthesisWorkerPool>());
        services.AddSingleton<IModelCatalog>(sp => sp.GetRequiredService<SynthesisWorkerPool>());
        services.AddHostedService(sp => sp.GetRequiredService<SynthesisWorkerPool>());
        return services;
    }
}

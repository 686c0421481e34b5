using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Orleans.Tts.Speech;

public static class SpeechServiceExtensions
{
    /// <summary>
    /// The speech pipeline and what it reads (options from TTS_* settings, the voice resolver), idempotent: the silo registers
    /// it for its speech grain and the REST API for its in-process calls. It needs the cluster's services (synthesis worker,
    /// admission, result cache, speakers, silo activity) registered beside it.
    /// </summary>
    public static IServiceCollection AddSpeechPipeline(this IServiceCollection services, IConfiguration config)
    {
        services.TryAddSingleton(_ => SpeechOptions.From(config));
        services.TryAddSingleton<VoiceResolver>();
        services.TryAddSingleton<SpeechPipeline>();
        return services;
    }
}

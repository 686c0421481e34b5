using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Orleans.Tts.Speech;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Frontend.Voices;

public sealed record VoiceList(IReadOnlyList<VoiceInfo> Voices, IReadOnlyDictionary<string, string> Aliases);

public static class VoicesApi
{
    public static IEndpointRouteBuilder MapVoicesEndpoint(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/voices", async (VoiceResolver voices, SpeechOptions options, CancellationToken ct) =>
                TypedResults.Ok(new VoiceList(await voices.ListWithFallbacksAsync(ct), options.VoiceAliases)))
            .WithName("ListVoices")
            .WithSummary("Every voice with its engine, languages, sample rate, gender, cost and fallback voice; plus OpenAI voice aliases.");
        return app;
    }
}

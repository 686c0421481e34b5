using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Client;

/// <summary>How <see cref="TtsClient"/> reaches the cluster and how hard it retries.</summary>
public sealed class TtsClientOptions
{
    /// <summary>The Frontend's URL, e.g. <c>http://tts-frontend:8080/</c>.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>Tries per call (the first one included) while the cluster answers 503.</summary>
    public int MaxAttempts { get; set; } = 4;

    /// <summary>Total time a call may spend waiting between tries; when the next wait would exceed it the call fails fast.</summary>
    public TimeSpan RetryBudget { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Longest single wait, whatever Retry-After says.</summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The API key (sent as <c>Authorization: Bearer</c> by <see cref="ApiKeyHandler"/>); null when the cluster needs none.</summary>
    public string? ApiKey { get; set; }
}

/// <summary>What to say and how.</summary>
public sealed record SpeechOptions(
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("voice")] string Voice = "alloy",
    [property: JsonPropertyName("response_format")] string ResponseFormat = "wav",
    [property: JsonPropertyName("speed")] double Speed = 1.0);

/// <summary>One piece of a streamed response, in order.</summary>
public sealed record AudioChunk(ReadOnlyMemory<byte> Data, long Offset);

/// <summary>The cluster stayed busy (503) for every try or the whole retry budget.</summary>
public sealed class TtsBusyException(int attempts, TimeSpan? retryAfter, string detail)
    : Exception($"The TTS cluster was busy on {attempts} tries: {detail}")
{
    public int Attempts { get; } = attempts;
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>The cluster refused the request (4xx); <see cref="Problem"/> says what was wrong and what is allowed.</summary>
public sealed class TtsRequestException(HttpStatusCode status, string problem)
    : Exception($"The TTS cluster refused the request ({(int)status}): {problem}")
{
    public HttpStatusCode Status { get; } = status;
    public string Problem { get; } = problem;
}

public interface ITtsClient
{
    /// <summary>The whole audio file.</summary>
    Task<byte[]> SynthesizeAsync(SpeechOptions speech, CancellationToken cancellationToken = default);

    /// <summary>The audio file as it is produced (<c>stream_format: audio</c>): the first chunk arrives after the first sentence.</summary>
    IAsyncEnumerable<AudioChunk> StreamAsync(SpeechOptions speech, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<VoiceInfo>> ListVoicesAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The .NET client of the cluster's public API. A 503 is retried after its Retry-After (with ±20 % jitter, capped)
/// while tries and the retry budget last, then fails fast with <see cref="TtsBusyException"/>; other client errors
/// throw <see cref="TtsRequestException"/> with the server's problem text; cancellation is honoured everywhere.
/// </summary>
public sealed class TtsClient(HttpClient http, TtsClientOptions options) : ITtsClient
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public async Task<byte[]> SynthesizeAsync(SpeechOptions speech, CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(speech, stream: false, cancellationToken);
        return await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    public async IAsyncEnumerable<AudioChunk> StreamAsync(SpeechOptions speech, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var response = await SendAsync(speech, stream: true, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[16 * 1024];
        long offset = 0;
        int n;
        while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            yield return new AudioChunk(buffer.AsMemory(0, n).ToArray(), offset);
            offset += n;
        }
    }

    public async Task<IReadOnlyList<VoiceInfo>> ListVoicesAsync(CancellationToken cancellationToken = default)
    {
        using var response = await WithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, "v1/voices"), HttpCompletionOption.ResponseContentRead, cancellationToken);
        var list = await response.Content.ReadFromJsonAsync<VoiceList>(Json, cancellationToken);
        return list?.Voices ?? [];
    }

    private sealed record VoiceList(List<VoiceInfo> Voices);

    private Task<HttpResponseMessage> SendAsync(SpeechOptions speech, bool stream, CancellationToken ct)
    {
        object body = stream
            ? new { input = speech.Input, voice = speech.Voice, response_format = speech.ResponseFormat, speed = speech.Speed, stream_format = "audio" }
            : speech;
        return WithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Post, "v1/audio/speech") { Content = JsonContent.Create(body, options: Json) },
            stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, ct);
    }

    private async Task<HttpResponseMessage> WithRetriesAsync(Func<HttpRequestMessage> request, HttpCompletionOption completion, CancellationToken ct)
    {
        var waited = TimeSpan.Zero;
        for (var attempt = 1; ; attempt++)
        {
            using var message = request();
            var response = await http.SendAsync(message, completion, ct);
            if (response.IsSuccessStatusCode) return response;
            using (response)
            {
                var problem = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable) throw new TtsRequestException(response.StatusCode, problem);
                var retryAfter = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                var delay = TimeSpan.FromMilliseconds(Math.Min(retryAfter.TotalMilliseconds, options.MaxRetryDelay.TotalMilliseconds) * (0.8 + 0.4 * Random.Shared.NextDouble()));
                if (attempt >= options.MaxAttempts || waited + delay > options.RetryBudget) throw new TtsBusyException(attempt, retryAfter, problem);
                await Task.Delay(delay, ct);
                waited += delay;
            }
        }
    }
}

public static class TtsClientServiceExtensions
{
    /// <summary>Registers <see cref="ITtsClient"/> for the Frontend at <see cref="TtsClientOptions.BaseAddress"/>.</summary>
    public static IServiceCollection AddTtsClient(this IServiceCollection services, Action<TtsClientOptions> configure)
    {
        var options = new TtsClientOptions();
        configure(options);
        if (options.BaseAddress is null) throw new InvalidOperationException("AddTtsClient needs BaseAddress: the Frontend's URL, e.g. http://127.0.0.1:8080/.");
        if (options.MaxAttempts < 1) throw new InvalidOperationException("TtsClientOptions.MaxAttempts must be at least 1.");
        services.AddSingleton(options);
        services.AddHttpClient<ITtsClient, TtsClient>(http =>
        {
            http.BaseAddress = options.BaseAddress;
            http.Timeout = Timeout.InfiniteTimeSpan;
        }).AddTtsApiKey(options);
        return services;
    }
}

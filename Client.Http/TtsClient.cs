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
    /// <summary>The URL of a frontend or a silo, e.g. <c>http://tts:8080/</c> (required). .NET services that can join the cluster as
    /// Orleans clients use <c>AddTtsOrleansClient</c> instead and need no HTTP at all.</summary>
    public Uri? BaseAddress { get; set; }

    /// <summary>Tries per call (the first one included) while the cluster answers 503 or a silo refuses the connection.</summary>
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

public partial interface ITtsClient
{
    /// <summary>The whole audio file.</summary>
    Task<byte[]> SynthesizeAsync(SpeechOptions speech, CancellationToken cancellationToken = default);

    /// <summary>The audio file as it is produced (<c>stream_format: audio</c>): the first chunk arrives after the first sentence.</summary>
    IAsyncEnumerable<AudioChunk> StreamAsync(SpeechOptions speech, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<VoiceInfo>> ListVoicesAsync(CancellationToken cancellationToken = default);
}

/// <summary>
/// The .NET client of the cluster's public API, through the Frontend or straight to the silos (<see cref="ITtsGateways"/>).
/// A refused connection or a 503 moves on to another gateway at once while there is one not yet tried; when all were
/// tried, a 503 is retried after its Retry-After (with ±20 % jitter, capped) while tries and the retry budget last, then
/// fails fast with <see cref="TtsBusyException"/>; unreachable gateways end in <see cref="TtsUnavailableException"/>;
/// other client errors throw <see cref="TtsRequestException"/> with the server's problem text. Cancelling a call aborts
/// its HTTP request, which stops the server's work for it.
/// </summary>
public sealed partial class TtsClient(HttpClient http, TtsClientOptions options, ITtsGateways gateways) : ITtsClient
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

    /// <summary>
    /// Sends <paramref name="request"/> (a relative URI is resolved against the gateway picked for each try) until it gets an
    /// answer that is not a 503: a success is returned, a client error thrown as <see cref="TtsRequestException"/>.
    /// </summary>
    private async Task<HttpResponseMessage> WithRetriesAsync(Func<HttpRequestMessage> request, HttpCompletionOption completion, CancellationToken ct)
    {
        var waited = TimeSpan.Zero;
        var tried = new HashSet<Uri>();
        HttpRequestException? refused = null;
        for (var attempt = 1; ; attempt++)
        {
            var gateway = await gateways.PickAsync(tried, ct);
            if (gateway is null)
            {
                if (refused is not null) throw new TtsUnavailableException($"No TTS gateway could be reached ({tried.Count} tried): {refused.Message}", refused);
                throw new TtsUnavailableException("No TTS silo is registered as active in the cluster's membership table.");
            }
            tried.Add(gateway);
            using var message = request();
            if (message.RequestUri is { IsAbsoluteUri: false } relative) message.RequestUri = new Uri(gateway, relative);
            HttpResponseMessage response;
            gateways.Track(gateway, started: true);
            try
            {
                response = await http.SendAsync(message, completion, ct);
            }
            catch (HttpRequestException e) when (!ct.IsCancellationRequested && e is not TtsUnavailableException)
            {
                // Refused or cut before an answer: another gateway may serve it at once.
                gateways.Unreachable(gateway);
                refused = e;
                if (attempt >= options.MaxAttempts)
                    throw new TtsUnavailableException($"No TTS gateway could be reached on {attempt} tries: {e.Message}", e);
                continue;
            }
            finally
            {
                gateways.Track(gateway, started: false);
            }
            if (response.IsSuccessStatusCode) return response;
            using (response)
            {
                var problem = await response.Content.ReadAsStringAsync(ct);
                if (response.StatusCode != HttpStatusCode.ServiceUnavailable) throw new TtsRequestException(response.StatusCode, problem);
                var retryAfter = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                if (attempt >= options.MaxAttempts) throw new TtsBusyException(attempt, retryAfter, problem);
                // Another silo not yet tried may have room now: no wait.
                if (await gateways.PickAsync(tried, ct) is not null) continue;
                var delay = TimeSpan.FromMilliseconds(Math.Min(retryAfter.TotalMilliseconds, options.MaxRetryDelay.TotalMilliseconds) * (0.8 + 0.4 * Random.Shared.NextDouble()));
                if (waited + delay > options.RetryBudget) throw new TtsBusyException(attempt, retryAfter, problem);
                await Task.Delay(delay, ct);
                waited += delay;
                tried.Clear();
            }
        }
    }
}

public static class TtsClientServiceExtensions
{
    /// <summary>
    /// Registers <see cref="ITtsClient"/>, the REST API's client, at <see cref="TtsClientOptions.BaseAddress"/>.
    /// </summary>
    public static IServiceCollection AddTtsClient(this IServiceCollection services, Action<TtsClientOptions> configure)
    {
        var options = new TtsClientOptions();
        configure(options);
        if (options.BaseAddress is null)
            throw new InvalidOperationException("AddTtsClient needs BaseAddress (the URL of a frontend or silo, e.g. http://127.0.0.1:8080/).");
        if (options.MaxAttempts < 1) throw new InvalidOperationException("TtsClientOptions.MaxAttempts must be at least 1.");
        services.AddSingleton(options);
        services.AddSingleton<ITtsGateways>(new FrontendGateway(options.BaseAddress));
        services.AddHttpClient<ITtsClient, TtsClient>(http =>
        {
            if (options.BaseAddress is { } address) http.BaseAddress = address;
            http.Timeout = Timeout.InfiniteTimeSpan;
        }).AddTtsApiKey(options);
        return services;
    }
}

using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orleans.Tts.Bench;

/// <summary>
/// POST /v1/audio/speech on a silo; the whole WAV body is read before the call returns. Each caller
/// is its own client (X-Api-Key), as admission lets one client hold only part of the permits. A
/// degraded response or one in another voice is an error; responses shared with an identical request
/// in flight at the same moment (X-Tts-Cache: hit with the silo's result cache off) are counted.
/// </summary>
public sealed class HttpTarget(Uri baseAddress, int maxConnections) : ISpeechTarget, IDisposable
{
    private static readonly MediaTypeHeaderValue JsonType = new("application/json");

    private readonly HttpClient _client = new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = maxConnections,
        UseProxy = false,
        AutomaticDecompression = DecompressionMethods.None,
        PooledConnectionIdleTimeout = TimeSpan.FromMinutes(10),
    })
    {
        BaseAddress = baseAddress,
        Timeout = TimeSpan.FromSeconds(60),
        DefaultRequestVersion = HttpVersion.Version11,
    };

    private sealed record SpeechBody(
        [property: JsonPropertyName("input")] string Input,
        [property: JsonPropertyName("voice")] string Voice,
        [property: JsonPropertyName("response_format")] string ResponseFormat);

    public string Name => "http";

    public static byte[] Body(string voiceId, string sentence) =>
        JsonSerializer.SerializeToUtf8Bytes(new SpeechBody(sentence, voiceId, "wav"));

    public const string ClientKeyPrefix = "orleans-tts-bench-";
    private int _shared;
    private long _requests;

    /// <summary>Successful requests so far.</summary>
    public long Requests => Interlocked.Read(ref _requests);

    /// <summary>Responses that were not a synthesis of their own (see the class summary).</summary>
    public int SharedResponses => Volatile.Read(ref _shared);

    public async ValueTask<double> SpeakAsync(string voiceId, string sentence, int caller, CancellationToken ct)
    {
        var content = new ByteArrayContent(Body(voiceId, sentence));
        content.Headers.ContentType = JsonType;
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/audio/speech") { Content = content };
        request.Headers.Add("X-Api-Key", ClientKeyPrefix + caller.ToString(System.Globalization.CultureInfo.InvariantCulture));
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        var wav = await response.Content.ReadAsByteArrayAsync(ct);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new HttpRequestException($"{(int)response.StatusCode} for '{sentence}': {System.Text.Encoding.UTF8.GetString(wav)}");
        string? Header(string name) => response.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault() : null;
        if (Header("X-Tts-Degraded") is not null || Header("X-Tts-Voice") != voiceId)
            throw new InvalidDataException($"Not a synthesis in {voiceId}: X-Tts-Voice {Header("X-Tts-Voice")}, X-Tts-Degraded {Header("X-Tts-Degraded")}.");
        if (Header("X-Tts-Cache") is "hit") Interlocked.Increment(ref _shared);
        Interlocked.Increment(ref _requests);
        return WavSeconds(wav);
    }

    private static double WavSeconds(byte[] wav)
    {
        if (wav.Length <= 44 || !wav.AsSpan(0, 4).SequenceEqual("RIFF"u8)) throw new InvalidDataException("The response is not a WAV file.");
        var byteRate = BinaryPrimitives.ReadInt32LittleEndian(wav.AsSpan(28));
        return (wav.Length - 44) / (double)byteRate;
    }

    public async Task<bool> IsReadyAsync(CancellationToken ct)
    {
        try
        {
            using var response = await _client.GetAsync("ready", ct);
            return response.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
            return false;
        }
    }

    public void Dispose() => _client.Dispose();
}

using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Orleans.Tts.Bench;

/// <summary>POST /v1/audio/speech on a silo; the whole WAV body is read before the call returns.</summary>
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

    public async ValueTask<double> SpeakAsync(string voiceId, string sentence, CancellationToken ct)
    {
        var content = new ByteArrayContent(Body(voiceId, sentence));
        content.Headers.ContentType = JsonType;
        using var request = new HttpRequestMessage(HttpMethod.Post, "v1/audio/speech") { Content = content };
        using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseContentRead, ct);
        var wav = await response.Content.ReadAsByteArrayAsync(ct);
        if (response.StatusCode != HttpStatusCode.OK)
            throw new HttpRequestException($"{(int)response.StatusCode} for '{sentence}': {System.Text.Encoding.UTF8.GetString(wav)}");
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

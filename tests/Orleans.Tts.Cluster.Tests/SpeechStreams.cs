using System.Buffers.Binary;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>Reading streamed speech responses in tests.</summary>
public static class SpeechStreams
{
    /// <summary>Posts a speech request and returns as soon as the headers arrived (the body streams).</summary>
    public static Task<HttpResponseMessage> SpeakStreamingAsync(this HttpClient client, object body, CancellationToken ct = default) =>
        client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech") { Content = JsonContent.Create(body) },
            HttpCompletionOption.ResponseHeadersRead, ct);

    /// <summary>The <c>data:</c> payloads of an SSE body, in order.</summary>
    public static async Task<List<JsonElement>> ReadEventsAsync(this HttpResponseMessage response)
    {
        var events = new List<JsonElement>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0) continue;
            Assert.StartsWith("data: ", line);
            events.Add(JsonDocument.Parse(line["data: ".Length..]).RootElement.Clone());
        }
        return events;
    }

    /// <summary>Samples in a WAV body (after its 44-byte header).</summary>
    public static int WavSamples(byte[] wav) => (wav.Length - 44) / 2;

    public static (uint RiffSize, uint DataSize, int SampleRate) WavHeader(byte[] wav)
    {
        Assert.Equal("RIFF", Encoding.ASCII.GetString(wav, 0, 4));
        Assert.Equal("WAVE", Encoding.ASCII.GetString(wav, 8, 4));
        Assert.Equal("data", Encoding.ASCII.GetString(wav, 36, 4));
        return (BinaryPrimitives.ReadUInt32LittleEndian(wav.AsSpan(4)), BinaryPrimitives.ReadUInt32LittleEndian(wav.AsSpan(40)),
            (int)BinaryPrimitives.ReadUInt32LittleEndian(wav.AsSpan(24)));
    }

    public static async Task<JsonElement> ReadyAsync(this HttpClient client) =>
        JsonDocument.Parse(await (await client.GetAsync("/ready")).Content.ReadAsStringAsync()).RootElement;

    /// <summary>Whole texts the silo normalised and cut into sentences itself (a frontend's requests should add none).</summary>
    public static long TextsPlanned(this JsonElement ready) =>
        long.Parse(ready.GetProperty("details").GetProperty("pool.textsPlanned").GetString()!, System.Globalization.CultureInfo.InvariantCulture);

    public static long SentencesSynthesized(this JsonElement ready) =>
        long.Parse(ready.GetProperty("details").GetProperty("pool.sentences").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
}

using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Admission;
using Orleans.Tts.Audio.Codecs;
using Orleans.Tts.Audio.Tests.Codecs;
using Orleans.Tts.Testing;

namespace Orleans.Tts.Api.Tests;

/// <summary>Streamed responses and the result cache (embedded silo, in-memory cache).</summary>
[Collection(SiloCollection.Name)]
public sealed class StreamCacheTests(SiloFactory factory)
{
    private readonly HttpClient _client = factory.CreateClient();

    /// <summary>Each test its own text, so nothing another test cached answers it.</summary>
    private static string Text(string what, int sentences = 3) =>
        string.Join(" ", Enumerable.Range(1, sentences).Select(i => $"{what} sentence {i} of {Guid.NewGuid().ToString("N")[..6]}."));

    private Task<HttpResponseMessage> StreamAsync(object body, CancellationToken ct = default) =>
        _client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech") { Content = JsonContent.Create(body) },
            HttpCompletionOption.ResponseHeadersRead, ct);

    private async Task<double> CacheLookupsAsync(string result) =>
        MetricsTests.Scrape.Parse(await _client.GetStringAsync("/metrics")).Value("tts_cache_lookups_total", ("result", result));

    private static string CacheHeader(HttpResponseMessage response) =>
        response.Headers.TryGetValues("X-Tts-Cache", out var values) ? values.Single()
            : throw new Xunit.Sdk.XunitException($"{(int)response.StatusCode} without X-Tts-Cache: {response.Content.ReadAsStringAsync().GetAwaiter().GetResult()}");

    [Theory]
    [InlineData("wav")]
    [InlineData("mp3")]
    [InlineData("flac")]
    [InlineData("opus")]
    [InlineData("pcm")]
    public async Task A_second_identical_audio_stream_is_a_cache_hit_with_byte_for_byte_the_same_stream(string format)
    {
        var body = new { input = Text($"Cached {format} stream"), voice = "espeak:en-us", response_format = format, stream_format = "audio" };
        var (hitsBefore, missesBefore) = (await CacheLookupsAsync("hit"), await CacheLookupsAsync("miss"));

        using var first = await StreamAsync(body);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("miss", CacheHeader(first));
        var fresh = await first.Content.ReadAsByteArrayAsync();
        using var second = await StreamAsync(body);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("hit", CacheHeader(second));
        Assert.Equal(first.Content.Headers.ContentType?.MediaType, second.Content.Headers.ContentType?.MediaType);
        var cached = await second.Content.ReadAsByteArrayAsync();

        Assert.True(fresh.Length > 1000, $"the fresh {format} stream has only {fresh.Length} bytes");
        // The same bytes, streaming header included (opus too: it is the first stream's own file, serial number and all).
        Assert.Equal(fresh, cached);
        Assert.Equal(hitsBefore + 1, await CacheLookupsAsync("hit"));
        Assert.Equal(missesBefore + 1, await CacheLookupsAsync("miss"));
    }

    [Fact]
    public async Task A_completed_wav_stream_answers_a_later_whole_file_request_with_its_audio_and_exact_header()
    {
        var text = Text("Stream then file");
        using var stream = await StreamAsync(new { input = text, voice = "espeak:en-us", response_format = "wav", stream_format = "audio" });
        var streamed = await stream.Content.ReadAsByteArrayAsync();
        Assert.Equal(uint.MaxValue, BitConverter.ToUInt32(streamed, 40));

        var whole = await _client.SpeakAsync(new { input = text, voice = "espeak:en-us", response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
        Assert.Equal("hit", CacheHeader(whole));
        Assert.NotNull(whole.Headers.ETag);
        var wav = Wav.Parse(await whole.Content.ReadAsByteArrayAsync()); // checks the header's sizes against the data
        Assert.Equal(streamed.AsSpan(44).ToArray(), (await whole.Content.ReadAsByteArrayAsync()).AsSpan(44).ToArray());
        Assert.True(wav.Seconds > 2, $"three sentences decode to only {wav.Seconds:0.00} s");
    }

    [Theory]
    [InlineData("mp3")]
    [InlineData("wav")]
    public async Task An_sse_stream_of_a_cached_result_sends_the_same_audio_and_usage_as_the_fresh_stream(string format)
    {
        var body = new { input = Text($"Events {format}"), voice = "espeak:en-us", response_format = format, stream_format = "sse" };
        using var first = await StreamAsync(body);
        Assert.Equal("miss", CacheHeader(first));
        var fresh = await EventsAsync(first);
        using var second = await StreamAsync(body);
        Assert.Equal("hit", CacheHeader(second));
        Assert.Equal("text/event-stream", second.Content.Headers.ContentType?.MediaType);
        var cached = await EventsAsync(second);

        // A fresh stream sends one delta per sentence (and MP3 one more, the encoder's last frames); the cache keeps no sentence
        // boundaries, so it sends deltas of at most 16 KiB. Concatenated, they are the same stream; the closing event is the same.
        Assert.InRange(fresh.Deltas.Count, 3, 4);
        Assert.All(cached.Deltas, d => Assert.InRange(d.Length, 1, 16 * 1024));
        Assert.Equal(fresh.Deltas.SelectMany(d => d).ToArray(), cached.Deltas.SelectMany(d => d).ToArray());
        Assert.Equal(fresh.Done, cached.Done);
        var usage = JsonDocument.Parse(cached.Done).RootElement.GetProperty("usage");
        Assert.Equal(body.input.Length, usage.GetProperty("input_tokens").GetInt32());
        Assert.InRange(usage.GetProperty("output_tokens").GetInt32(), 2000, 20_000);
    }

    [Fact]
    public async Task A_whole_file_answers_a_later_stream_of_the_same_request_in_the_streams_own_form()
    {
        var text = Text("File then stream");
        var whole = await (await _client.SpeakAsync(new { input = text, voice = "espeak:en-us", response_format = "flac" })).Content.ReadAsByteArrayAsync();
        using var stream = await StreamAsync(new { input = text, voice = "espeak:en-us", response_format = "flac", stream_format = "audio" });
        Assert.Equal("hit", CacheHeader(stream));
        var streamed = await stream.Content.ReadAsByteArrayAsync();

        // The whole file's STREAMINFO has the sample count and MD5; the stream has them as 0 (unknown), as a fresh stream does.
        Assert.NotEqual(whole, streamed);
        Assert.Equal(AudioEncoders.Streamed("flac", whole), streamed);
        var (a, b) = (await Ffmpeg.DecodeAsync(whole), await Ffmpeg.DecodeAsync(streamed));
        Assert.Equal(a.Samples, b.Samples);
    }

    [Fact]
    public async Task A_stream_the_client_abandons_is_not_cached()
    {
        var text = Text("Abandoned stream", sentences: 40);
        var body = new { input = text, voice = "espeak:en-us", response_format = "wav", stream_format = "audio" };
        long received;
        using (var leave = new CancellationTokenSource())
        {
            using var response = await StreamAsync(body, leave.Token);
            Assert.Equal("miss", CacheHeader(response));
            await using var audio = await response.Content.ReadAsStreamAsync(leave.Token);
            var head = new byte[4096];
            await audio.ReadExactlyAsync(head, leave.Token);
            received = head.Length;
            await leave.CancelAsync();
        }

        // The server learns of the abandonment asynchronously; until it has stopped the stream, this client still holds its permit.
        var admission = factory.Services.GetRequiredService<IAdmission>();
        await Poll.UntilAsync(() => Task.FromResult(admission.Status.HeldHere == 0), TimeSpan.FromSeconds(30), "the abandoned stream gave its permit back");

        // Nothing of the abandoned stream answers the same request: it is synthesised again, whole, and only then cached.
        using var again = await StreamAsync(body);
        Assert.Equal("miss", CacheHeader(again));
        var complete = await again.Content.ReadAsByteArrayAsync();
        Assert.True(complete.Length > 20 * received, $"the complete stream has {complete.Length} bytes, the abandoned one was left after {received}");
        using var third = await StreamAsync(body);
        Assert.Equal("hit", CacheHeader(third));
        Assert.Equal(complete, await third.Content.ReadAsByteArrayAsync());
    }

    private sealed record Events(List<byte[]> Deltas, string Done);

    private static async Task<Events> EventsAsync(HttpResponseMessage response)
    {
        var deltas = new List<byte[]>();
        string? done = null;
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0) continue;
            Assert.StartsWith("data: ", line);
            var json = JsonDocument.Parse(line["data: ".Length..]).RootElement;
            switch (json.GetProperty("type").GetString())
            {
                case "speech.audio.delta": deltas.Add(Convert.FromBase64String(json.GetProperty("audio").GetString()!)); break;
                case "speech.audio.done": done = line["data: ".Length..]; break;
                default: Assert.Fail($"unexpected event {line}"); break;
            }
        }
        Assert.NotNull(done);
        return new Events(deltas, done);
    }
}

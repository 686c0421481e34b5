using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Speech;
using Orleans.Tts.Telemetry;

namespace Orleans.Tts.ClusterClient.Tests;

[Collection(TwoSiloCollection.Name)]
public sealed class TwoSiloTests(TwoSiloCluster cluster)
{
    [Fact]
    public async Task Streams_enter_through_both_silos_and_each_one_is_pulled_whole_from_the_silo_it_entered()
    {
        // A stream's later pulls must reach the activation that holds its enumerator: a stateless worker is not in the grain
        // directory, so this holds only while each speech grain key keeps to one gateway.
        var lookups = cluster.Silos.Select(_ => 0L).ToArray();
        var meters = cluster.Silos.Select(s => s.Services.GetRequiredService<TtsMetrics>().Meter).ToList();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == "tts_cache_lookups" && meters.Contains(instrument.Meter)) l.EnableMeasurementEvents(instrument, meters.IndexOf(instrument.Meter));
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, silo) => Interlocked.Add(ref lookups[(int)silo!], value));
        listener.Start();

        for (var i = 0; i < 16; i++)
        {
            var chunks = new List<SpeechChunk>();
            await foreach (var chunk in cluster.Tts.StreamAsync(new SpeechCommand($"Stream {i} begins here. It ends in a second sentence.", ResponseFormat: "wav")))
                chunks.Add(chunk);

            Assert.NotNull(chunks[0].Start);
            var end = chunks[^1].End ?? throw new Xunit.Sdk.XunitException($"stream {i} has no end");
            var bytes = chunks.SelectMany(c => c.Audio).ToArray();
            // The stream form of a WAV: a 44-byte header (sizes unknown) and 16-bit samples at the header's rate.
            var rate = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(24));
            Assert.Equal(end.AudioSeconds, (bytes.Length - 44) / 2.0 / rate, 3);
        }

        // Every stream looked the cache up once, on the silo it entered; 64 keys over two gateways put some on each.
        Assert.Equal(16, lookups.Sum());
        Assert.All(lookups, n => Assert.True(n > 0, $"cache lookups per silo: {string.Join(", ", lookups)}"));
    }

    [Fact]
    public async Task A_result_made_through_one_silos_REST_API_is_a_hit_for_the_Orleans_client_and_the_other_silo()
    {
        var text = $"Made once through REST, {Guid.NewGuid():n}, then served from the shared cache.";
        var rest = await cluster.Silos[1].CreateClient().PostAsJsonAsync("/v1/audio/speech", new { input = text, voice = "alloy", response_format = "wav" });
        Assert.True(rest.IsSuccessStatusCode, await rest.Content.ReadAsStringAsync());
        Assert.Equal("miss", rest.Headers.GetValues("X-Tts-Cache").Single());

        // Whichever silo the client's speech grain runs on, the result comes from the cache (Redis or memory), not a synthesis.
        var audio = await cluster.Tts.SynthesizeAsync(new SpeechCommand(text, "alloy", "wav"));
        Assert.True(audio.CacheHit);
        Assert.Equal(await rest.Content.ReadAsByteArrayAsync(), audio.Content);
        Assert.Equal($"\"{audio.CacheKey}\"", rest.Headers.ETag?.Tag);

        var other = await cluster.Silos[0].CreateClient().PostAsJsonAsync("/v1/audio/speech", new { input = text, voice = "alloy", response_format = "wav" });
        Assert.Equal("hit", other.Headers.GetValues("X-Tts-Cache").Single());
        Assert.Equal(audio.Content, await other.Content.ReadAsByteArrayAsync());
    }
}

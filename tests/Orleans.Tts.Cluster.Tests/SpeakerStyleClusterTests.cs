using System.Buffers.Binary;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using Orleans.Tts.Onnx.Tests;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// A Kokoro blend speaker on several silo processes, with the fixture Kokoro model (its tone's level is the style's mean). That the
/// embedding is computed once for the cluster is Grains.Tests' (SpeakerGrainTests); here the audio carries the blend on every silo.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class SpeakerStyleClusterTests(TestClusters clusters) : IAsyncLifetime
{
    private const int Rows = 510, Dim = 256;
    private const float One = 0.1f, Two = 0.5f;
    private readonly List<SiloProcess> _silos = [];
    private readonly ModelFixture _models = new();
    private readonly string _modelsDir = Directory.CreateTempSubdirectory("orleans-tts-cluster-models-").FullName;
    private string _clusterId = "";

    public async Task InitializeAsync()
    {
        _clusterId = await clusters.NewAsync();
        var voices = Directory.CreateDirectory(Path.Combine(_modelsDir, "kokoro", "voices")).FullName;
        File.Copy(_models.KokoroModel, Path.Combine(_modelsDir, "kokoro", "kokoro-v1.0.onnx"));
        File.WriteAllBytes(Path.Combine(voices, "af_one.bin"), Table(_ => One));
        File.WriteAllBytes(Path.Combine(voices, "af_two.bin"), Table(_ => Two));
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
        _models.Dispose();
        Directory.Delete(_modelsDir, recursive: true);
    }

    /// <summary>A Kokoro voice table (510 × 256 float32 style rows) of the given values.</summary>
    internal static byte[] Table(Func<int, float> value) =>
        MemoryMarshal.AsBytes(Enumerable.Range(0, Rows * Dim).Select(value).ToArray().AsSpan()).ToArray();

    /// <summary>The peak of the first (pad) tone of a WAV from the fixture Kokoro model: the mean of the style row, as a fraction of full scale.</summary>
    internal static async Task<double> PadLevelAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
        var data = 12;
        while (Encoding.ASCII.GetString(bytes, data, 4) != "data") data += 8 + BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(data + 4));
        var samples = MemoryMarshal.Cast<byte, short>(bytes.AsSpan(data + 8, 240 * 2));
        var peak = 0;
        foreach (var s in samples) peak = Math.Max(peak, Math.Abs((int)s));
        return peak / 32767.0;
    }

    [Fact]
    public async Task A_kokoro_blend_asked_for_by_three_silos_at_once_styles_their_audio_and_a_change_reaches_every_silo()
    {
        var silos = await SiloProcess.StartManyAsync(3, i => ClusterSilo.Options($"style{i}", _clusterId, new Dictionary<string, string>
        {
            ["TTS_MODELS_DIR"] = _modelsDir, ["TTS_GLOBAL_MAX_INFLIGHT"] = "12", ["TTS_CLIENT_MAX_SHARE"] = "1",
        }));
        _silos.AddRange(silos);
        var created = await silos[0].HttpClient.PostAsJsonAsync("/v1/speakers", new
        {
            id = "duet", voice = "kokoro:af_one", blend = new[] { new { table = "af_one", weight = 0.7 }, new { table = "af_two", weight = 0.3 } },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);

        var first = await Task.WhenAll(Enumerable.Range(0, 9).Select(i =>
            silos[i % 3].HttpClient.SpeakAsync(new { input = $"Speaker line {i}.", voice = "speaker:duet", response_format = "wav", max_wait_ms = 20000 })));

        var blended = (float)(0.7 * One + 0.3 * Two);
        foreach (var response in first) Assert.Equal(blended, await PadLevelAsync(response), 3);

        var put = await silos[1].HttpClient.PutAsJsonAsync("/v1/speakers/duet", new { voice = "kokoro:af_one", blend = new[] { new { table = "af_two", weight = 1 } } });
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        foreach (var silo in silos)
            await Poll.UntilAsync(async () =>
                System.Text.Json.JsonDocument.Parse(await silo.HttpClient.GetStringAsync("/v1/speakers/duet")).RootElement.GetProperty("version").GetInt64() == 2,
                TimeSpan.FromSeconds(5), $"{silo.Id} sees version 2");
        var after = await Task.WhenAll(silos.Select(s =>
            s.HttpClient.SpeakAsync(new { input = "Speaker line 0.", voice = "speaker:duet", response_format = "wav", max_wait_ms = 20000 })));
        foreach (var response in after) Assert.Equal(Two, await PadLevelAsync(response), 3);
    }

    [Fact]
    public async Task Through_a_frontend_without_engines_a_blend_speaker_is_styled_by_the_silo_that_synthesises()
    {
        var models = new Dictionary<string, string> { ["TTS_MODELS_DIR"] = _modelsDir };
        var silos = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"stylesilo{i}", _clusterId, new Dictionary<string, string>(models)
        {
        }));
        _silos.AddRange(silos);
        var frontend = await SiloProcess.StartAsync(ClusterSilo.Options("stylefrontend", _clusterId, new Dictionary<string, string>
        {
            ["TTS_SILOS_REFRESH_MS"] = "100", ["TTS_GLOBAL_MAX_INFLIGHT"] = "8", ["TTS_CLIENT_MAX_SHARE"] = "1",
        }) with { Arguments = ["--role", "frontend"] });
        _silos.Add(frontend);
        await Poll.UntilAsync(async () =>
            System.Text.Json.JsonDocument.Parse(await frontend.HttpClient.GetStringAsync("/ready")).RootElement
                .GetProperty("details").GetProperty("frontend.silos").GetString()!.Split(',').Length == 2,
            TimeSpan.FromSeconds(10), "the frontend sees both silos");

        var created = await frontend.HttpClient.PostAsJsonAsync("/v1/speakers", new
        {
            id = "remote-duet", voice = "kokoro:af_one", blend = new[] { new { table = "af_one", weight = 1 }, new { table = "af_two", weight = 3 } },
        });
        Assert.True(created.StatusCode == HttpStatusCode.Created, await created.Content.ReadAsStringAsync());
        var responses = await Task.WhenAll(Enumerable.Range(0, 4).Select(i =>
            frontend.HttpClient.SpeakAsync(new { input = $"Remote line {i}.", voice = "speaker:remote-duet", response_format = "wav", max_wait_ms = 20000 })));

        foreach (var response in responses) Assert.Equal((float)(0.25 * One + 0.75 * Two), await PadLevelAsync(response), 3);
    }
}

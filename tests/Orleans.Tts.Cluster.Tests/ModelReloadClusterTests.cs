using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orleans.Tts.Onnx.Tests;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// A frontend in front of a silo whose models are reloaded: it learns the new voices and the new model versions from the silo
/// (with its voice list), so it accepts the new voices and never answers from audio cached with the replaced model.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ModelReloadClusterTests(TestClusters clusters) : IAsyncLifetime
{
    private const float One = 0.1f, Two = 0.5f;
    private readonly ModelFixture _models = new();
    private readonly string _modelsDir = Directory.CreateTempSubdirectory("orleans-tts-reload-models-").FullName;
    private readonly List<SiloProcess> _processes = [];
    private string _voicesDir = "";

    public Task InitializeAsync()
    {
        _voicesDir = Directory.CreateDirectory(Path.Combine(_modelsDir, "kokoro", "voices")).FullName;
        File.Copy(_models.KokoroModel, Path.Combine(_modelsDir, "kokoro", "kokoro-v1.0.onnx"));
        File.WriteAllBytes(Path.Combine(_voicesDir, "af_one.bin"), SpeakerStyleClusterTests.Table(_ => One));
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        foreach (var process in _processes) await process.DisposeAsync();
        _models.Dispose();
        Directory.Delete(_modelsDir, recursive: true);
    }

    private static async Task<string?> DetailAsync(SiloProcess process, string key) =>
        (await process.HttpClient.ReadyAsync()).GetProperty("details").TryGetProperty(key, out var value) ? value.GetString() : null;

    private static async Task<List<string>> VoiceIdsAsync(SiloProcess process) =>
        [.. (await process.HttpClient.GetFromJsonAsync<JsonElement>("/v1/voices")).GetProperty("voices").EnumerateArray().Select(v => v.GetProperty("id").GetString()!)];

    [Fact]
    public async Task A_frontend_takes_up_the_voices_and_model_versions_of_a_reload_on_its_silos_and_never_serves_audio_of_the_replaced_model()
    {
        var (silos, frontend) = await ClusterSilo.StartWithFrontendAsync(await clusters.NewAsync(), "reload", 1,
            siloExtra: new Dictionary<string, string> { ["TTS_MODELS_DIR"] = _modelsDir },
            frontendExtra: new Dictionary<string, string> { ["TTS_FRONTEND_VOICES_REFRESH_SECONDS"] = "1" });
        _processes.AddRange([.. silos, frontend]);
        var silo = silos[0];

        // The frontend keys its cache with the silo's own engine and model versions (before, a frontend had none).
        Assert.Contains("kokoro:af_one", await VoiceIdsAsync(frontend));
        var before = await DetailAsync(silo, "kokoro.version");
        Assert.False(string.IsNullOrEmpty(before));
        Assert.Equal(before, await DetailAsync(frontend, "kokoro.version"));
        Assert.Equal(await DetailAsync(silo, "espeak.version"), await DetailAsync(frontend, "espeak.version"));

        var request = new { input = "Reloaded models speak anew.", voice = "kokoro:af_one", response_format = "wav" };
        using (var first = await frontend.HttpClient.SpeakAsync(request)) Assert.Equal("miss", first.Header("X-Tts-Cache"));
        using (var again = await frontend.HttpClient.SpeakAsync(request))
        {
            Assert.Equal("hit", again.Header("X-Tts-Cache"));
            Assert.Equal(One, await SpeakerStyleClusterTests.PadLevelAsync(again), 3);
        }

        // The operator replaces af_one's table, adds af_three and asks the frontend to reload: it has no models of its own and
        // passes the reload to every silo through their synthesis grains.
        File.WriteAllBytes(Path.Combine(_voicesDir, "af_one.bin"), SpeakerStyleClusterTests.Table(_ => Two));
        File.WriteAllBytes(Path.Combine(_voicesDir, "af_three.bin"), SpeakerStyleClusterTests.Table(_ => One));
        using (var reload = await frontend.HttpClient.PostAsync("/admin/models/reload", null))
        {
            Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
            var report = System.Text.Json.JsonDocument.Parse(await reload.Content.ReadAsStringAsync()).RootElement;
            var part = Assert.Single(report.GetProperty("silos").EnumerateArray());
            Assert.Equal(silo.Id, part.GetProperty("silo").GetString());
            Assert.Equal(System.Text.Json.JsonValueKind.Null, part.GetProperty("error").ValueKind);
            Assert.Contains(report.GetProperty("voices").EnumerateArray(), v => v.GetProperty("id").GetString() == "kokoro:af_three");
        }
        var after = await DetailAsync(silo, "kokoro.version");
        Assert.NotEqual(before, after);

        await Poll.UntilAsync(async () => (await VoiceIdsAsync(frontend)).Contains("kokoro:af_three"), TimeSpan.FromSeconds(30),
            "the frontend lists the voice the reload added");
        Assert.Equal(after, await DetailAsync(frontend, "kokoro.version"));
        using (var reloaded = await frontend.HttpClient.SpeakAsync(request))
        {
            Assert.Equal("miss", reloaded.Header("X-Tts-Cache"));
            Assert.Equal(Two, await SpeakerStyleClusterTests.PadLevelAsync(reloaded), 3);
        }
        using var added = await frontend.HttpClient.SpeakAsync(new { input = "A new voice through the frontend.", voice = "kokoro:af_three", response_format = "wav" });
        Assert.Equal(One, await SpeakerStyleClusterTests.PadLevelAsync(added), 3);
    }

    private static async Task<JsonElement> ReloadAsync(SiloProcess through)
    {
        using var reload = await through.HttpClient.PostAsync("/admin/models/reload", null);
        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        return JsonDocument.Parse(await reload.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    /// <summary>The silos the reload's answer reports as applied (no error), by name.</summary>
    private static string[] Applied(JsonElement report) =>
        [.. report.GetProperty("silos").EnumerateArray().Where(s => s.GetProperty("error").ValueKind == JsonValueKind.Null)
            .Select(s => s.GetProperty("silo").GetString()!).Order(StringComparer.Ordinal)];

    [Fact]
    public async Task A_reload_is_one_stream_event_every_silo_applies_and_acknowledges_including_a_silo_that_joined_after_an_earlier_reload()
    {
        var clusterId = await clusters.NewAsync();
        var extra = new Dictionary<string, string> { ["TTS_MODELS_DIR"] = _modelsDir };
        var silos = await SiloProcess.StartManyAsync(3, i => ClusterSilo.Options($"fan{i}", clusterId, extra));
        _processes.AddRange(silos);
        await Poll.UntilAsync(async () => (await Task.WhenAll(silos.Select(ClusterSizeAsync))).All(n => n == 3), TimeSpan.FromSeconds(30),
            "every silo sees the 3 silos");

        // A voice added on disk is served by no silo until the reload; one call to one silo reloads all three.
        File.WriteAllBytes(Path.Combine(_voicesDir, "af_three.bin"), SpeakerStyleClusterTests.Table(_ => One));
        foreach (var silo in silos) Assert.DoesNotContain("kokoro:af_three", await VoiceIdsAsync(silo));
        var first = await ReloadAsync(silos[1]);
        Assert.Contains(first.GetProperty("voices").EnumerateArray(), v => v.GetProperty("id").GetString() == "kokoro:af_three");
        Assert.Equal([silos[0].Id, silos[2].Id], Applied(first));
        foreach (var silo in silos) Assert.Contains("kokoro:af_three", await VoiceIdsAsync(silo));

        // A silo that starts after the reload serves the new voice, and it subscribes to the reload stream itself: the next reload,
        // asked of an older silo, reaches it too and it acknowledges.
        var late = await SiloProcess.StartAsync(ClusterSilo.Options("fan4", clusterId, extra));
        _processes.Add(late);
        Assert.Contains("kokoro:af_three", await VoiceIdsAsync(late));
        using (var spoken = await late.HttpClient.SpeakAsync(new { input = "A late silo speaks the new voice.", voice = "kokoro:af_three", response_format = "wav" }))
            Assert.Equal(One, await SpeakerStyleClusterTests.PadLevelAsync(spoken), 3);
        await Poll.UntilAsync(async () => (await ClusterSizeAsync(silos[0])) == 4, TimeSpan.FromSeconds(30), "the first silo sees the late one");

        File.WriteAllBytes(Path.Combine(_voicesDir, "af_four.bin"), SpeakerStyleClusterTests.Table(_ => Two));
        var second = await ReloadAsync(silos[0]);
        Assert.Equal([silos[1].Id, silos[2].Id, late.Id], Applied(second));
        foreach (var silo in silos.Append(late)) Assert.Contains("kokoro:af_four", await VoiceIdsAsync(silo));
        using (var spoken = await late.HttpClient.SpeakAsync(new { input = "The second reload reached the late silo.", voice = "kokoro:af_four", response_format = "wav" }))
            Assert.Equal(Two, await SpeakerStyleClusterTests.PadLevelAsync(spoken), 3);
    }

    /// <summary>The silos this silo's directory lists as ready to work (those a reload it is asked waits for).</summary>
    private static async Task<int> ClusterSizeAsync(SiloProcess silo) =>
        (await silo.HttpClient.ClusterAsync()).GetProperty("cluster").GetProperty("members").EnumerateArray()
            .Count(m => m.GetProperty("status").GetString() == "active" && m.GetProperty("capacity").GetInt32() > 0);
}

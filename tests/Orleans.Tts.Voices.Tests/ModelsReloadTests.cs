using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orleans.Tts.Voices.Tests.Fixtures;

namespace Orleans.Tts.Voices.Tests;

[Collection(VoicesCollection.Name)]
public sealed class ModelsReloadTests(VoiceModels models)
{
    private static readonly PiperConfigFile Config = new(PiperConfigFile.SmallMap(PiperConfigFile.EnglishSymbols));

    private static async Task<string[]> OnnxVoicesAsync(HttpClient client) =>
        [.. (await client.GetFromJsonAsync<JsonElement>("/v1/voices")).GetProperty("voices").EnumerateArray()
            .Select(v => v.GetProperty("id").GetString()!).Where(id => !id.StartsWith("espeak:", StringComparison.Ordinal))];

    [Fact]
    public async Task Reload_picks_up_a_new_model_drops_a_removed_one_and_reports_failures()
    {
        using var silo = new OnnxSilo(models, dir => dir.AddPiper("first", "piper-single.onnx", Config));
        var client = silo.CreateClient();
        Assert.Equal(["piper:first"], await OnnxVoicesAsync(client));

        silo.Models.AddPiper("second", "piper-rank3.onnx", Config);
        File.Delete(Path.Combine(silo.Models.PiperDirectory, "first.onnx"));
        File.WriteAllText(Path.Combine(silo.Models.PiperDirectory, "third.onnx"), "not a model");
        File.WriteAllText(Path.Combine(silo.Models.PiperDirectory, "third.onnx.json"), Config.ToJson());
        var reload = await client.PostAsync("/admin/models/reload", null);

        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        var report = await reload.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(silo.Models.Root, report.GetProperty("directory").GetString());
        Assert.Equal(["piper:second"], report.GetProperty("voices").EnumerateArray().Select(v => v.GetProperty("id").GetString()));
        var failure = Assert.Single(report.GetProperty("failures").EnumerateArray());
        Assert.Equal(("piper", "piper/third.onnx"), (failure.GetProperty("engine").GetString(), failure.GetProperty("path").GetString()));
        Assert.Equal(["piper:second"], await OnnxVoicesAsync(client));
        var spoken = await client.PostAsJsonAsync("/v1/audio/speech", new { input = "New voice.", voice = "piper:second", response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, spoken.StatusCode);
        var gone = await client.PostAsJsonAsync("/v1/audio/speech", new { input = "Old voice.", voice = "piper:first" });
        Assert.Equal(HttpStatusCode.BadRequest, gone.StatusCode);
    }

    [Fact]
    public async Task An_unchanged_model_keeps_serving_across_reloads()
    {
        using var silo = new OnnxSilo(models, dir => dir.AddPiper("steady", "piper-single.onnx", Config));
        var client = silo.CreateClient();
        var before = await (await client.PostAsJsonAsync("/v1/audio/speech", new { input = "Same.", voice = "piper:steady", response_format = "wav" })).Content.ReadAsByteArrayAsync();

        var reloads = Enumerable.Range(0, 4).Select(_ => client.PostAsync("/admin/models/reload", null));
        var speeches = Enumerable.Range(0, 8).Select(_ => client.PostAsJsonAsync("/v1/audio/speech", new { input = "Same.", voice = "piper:steady", response_format = "wav" }));
        var responses = await Task.WhenAll(reloads.Concat(speeches));

        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        foreach (var speech in responses.Skip(4)) Assert.Equal(before, await speech.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task A_model_changed_on_disk_is_heard_after_reload_not_answered_from_the_result_cache()
    {
        using var silo = new OnnxSilo(models, dir => dir.AddPiper("v", "piper-single.onnx", Config));
        var client = silo.CreateClient();
        async Task<Api.Tests.Wav> SpeakAsync()
        {
            var response = await client.PostAsJsonAsync("/v1/audio/speech", new { input = "Twice the same.", voice = "piper:v", response_format = "wav" });
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            return Api.Tests.Wav.Parse(await response.Content.ReadAsByteArrayAsync());
        }
        var before = await SpeakAsync();

        File.WriteAllText(Path.Combine(silo.Models.PiperDirectory, "v.onnx.json"), (Config with { LengthScale = 2f }).ToJson());
        var reload = await client.PostAsync("/admin/models/reload", null);
        var after = await SpeakAsync();

        Assert.Equal(HttpStatusCode.OK, reload.StatusCode);
        var silence = before.SampleRate / 5;
        Assert.Equal(2 * (before.Samples.Length - silence), after.Samples.Length - silence);
    }
}

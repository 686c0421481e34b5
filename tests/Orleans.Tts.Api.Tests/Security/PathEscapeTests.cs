using System.Net;
using System.Net.Http.Json;

namespace Orleans.Tts.Api.Tests.Security;

/// <summary>
/// Voice names, blends and speaker ids are looked up in the loaded voice and speaker sets, never joined to a path:
/// nothing a client sends reaches the file system. Every such name is a 4xx problem, never a 5xx.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class PathEscapeTests(SiloFactory factory)
{
    private readonly HttpClient _client = factory.CreateClient();

    public static TheoryData<string> EscapingNames => new()
    {
        "../../../../etc/passwd",
        "/etc/passwd",
        "espeak:../en-us",
        "espeak:../../espeak-ng-data/voices/!v/m1",
        "piper:../../../etc/passwd",
        "piper:..%2F..%2Fetc%2Fpasswd",
        "piper:..\\..\\windows\\win.ini",
        "kokoro:../../etc/passwd",
        "kokoro:../voices/af_heart*0.5+af_sky*0.5",
        "../af_heart*0.5+af_sky*0.5",
        "en-us\u0000.onnx",
        "espeak:en-us\u0000",
        "piper:/proc/self/environ",
        "file:///etc/passwd",
    };

    [Theory]
    [MemberData(nameof(EscapingNames))]
    public async Task A_voice_name_that_looks_like_a_path_is_an_unknown_voice_400(string voice)
    {
        var response = await _client.SpeakAsync(new { input = "Paths are not voices.", voice, response_format = "wav" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.BadRequest, $"{voice}: {(int)response.StatusCode} {text}");
        Assert.Contains("voice", text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("root:", text);
    }

    [Theory]
    [MemberData(nameof(EscapingNames))]
    public async Task A_speaker_whose_base_voice_looks_like_a_path_is_refused_with_400_when_created_or_used(string voice)
    {
        var response = await _client.PostAsJsonAsync("/v1/speakers", new { voice });
        if (response.StatusCode == HttpStatusCode.Created)
        {
            // A blend with an engine prefix is stored as given and checked by its engine when spoken: still a 400.
            var id = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString();
            var spoken = await _client.SpeakAsync(new { input = "Paths are not voices.", voice = $"speaker:{id}", response_format = "wav" });
            Assert.Equal(HttpStatusCode.BadRequest, spoken.StatusCode);
            await _client.DeleteAsync($"/v1/speakers/{id}");
            return;
        }
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Theory]
    [InlineData("..%2F..%2Fetc%2Fpasswd")]
    [InlineData("%2Fetc%2Fpasswd")]
    [InlineData("..%5C..%5Cx")]
    public async Task A_speaker_id_that_looks_like_a_path_is_refused_with_400_on_write_and_404_on_read(string id)
    {
        var put = await _client.PutAsJsonAsync($"/v1/speakers/{id}", new { voice = "espeak:en-us" });
        await put.AssertProblemAsync(400, "Speaker id", "a–z");
        var get = await _client.GetAsync($"/v1/speakers/{id}");
        Assert.True(get.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.BadRequest, $"GET {id}: {(int)get.StatusCode}");
        Assert.DoesNotContain("root:", await get.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_voice_path_in_ssml_is_refused_with_400()
    {
        var ssml = "<speak><voice name=\"../../../../etc/passwd\">Hello.</voice></speak>";
        var response = await _client.SpeakAsync(new { input = ssml, voice = "espeak:en-us", response_format = "wav" });
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }
}

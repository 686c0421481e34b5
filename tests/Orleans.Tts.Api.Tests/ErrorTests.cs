using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Orleans.Tts.Api.Tests;

[Collection(SiloCollection.Name)]
public sealed class ErrorTests(SiloFactory factory)
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Rejects_empty_input_with_400()
    {
        await (await _client.SpeakAsync(new { input = "   ", voice = "alloy" })).AssertProblemAsync(400, "empty");
        await (await _client.SpeakAsync(new { voice = "alloy" })).AssertProblemAsync(400, "'input' is required");
        await (await _client.SpeakAsync(new { input = "?!…", voice = "alloy" })).AssertProblemAsync(400, "no letters or digits");
    }

    [Fact]
    public async Task Rejects_text_longer_than_limit_with_413_naming_the_limit()
    {
        var problem = await (await _client.SpeakAsync(new { input = new string('a', 4097), voice = "alloy" })).AssertProblemAsync(413, "4097", "4096");
        Assert.Equal(4096, problem.GetProperty("maxInputChars").GetInt32());
    }

    [Fact]
    public async Task Counts_characters_not_bytes_so_4096_chinese_characters_are_allowed()
    {
        var response = await _client.SpeakAsync(new { input = string.Concat(Enumerable.Repeat("你好。", 1365)) + "好", voice = "espeak:cmn" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Rejects_unknown_voice_with_400_saying_where_the_valid_ids_are()
    {
        var problem = await (await _client.SpeakAsync(new { input = "Hi", voice = "espeak:klingon" })).AssertProblemAsync(400, "espeak:klingon", "/v1/voices");
        Assert.Equal("/v1/voices", problem.GetProperty("voicesUrl").GetString());
    }

    [Fact]
    public async Task Accepts_a_voice_id_without_its_engine_prefix()
    {
        var response = await _client.SpeakAsync(new { input = "Guten Tag.", voice = "de" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("espeak:de", response.Headers.GetValues("X-Tts-Voice").Single());
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(4.5)]
    [InlineData(-1)]
    public async Task Rejects_speed_outside_quarter_to_four_with_400(double speed)
    {
        await (await _client.SpeakAsync(new { input = "Hi", voice = "alloy", speed })).AssertProblemAsync(400, "0.25", "4");
    }

    [Fact]
    public async Task Rejects_pitch_outside_an_octave_with_400()
    {
        await (await _client.SpeakAsync(new { input = "Hi", voice = "alloy", pitch = 13 })).AssertProblemAsync(400, "semitones");
    }

    [Theory]
    [InlineData("""{"input":"Hi","voice":{"name":"alloy"}}""", "no 'id'")]
    [InlineData("""{"input":"Hi","voice":{"id":7}}""", "'id' must be a string")]
    [InlineData("""{"input":"Hi","voice":["alloy"]}""", "a string or an object with a string 'id'")]
    [InlineData("""{"input":"Hi","voice":{"id":"no-such-voice"}}""", "no-such-voice")]
    public async Task A_voice_object_needs_a_string_id_of_a_known_voice(string body, string says)
    {
        await (await _client.PostRawAsync(body)).AssertProblemAsync(400, says);
    }

    [Theory]
    [InlineData("ogg-vorbis")]
    [InlineData("m4a")]
    [InlineData("")]
    public async Task Rejects_unknown_formats_with_400_listing_the_supported_ones(string format)
    {
        var problem = await (await _client.SpeakAsync(new { input = "Hi", voice = "alloy", response_format = format })).AssertProblemAsync(400, "mp3, opus, aac, flac, wav, pcm");
        Assert.Contains("opus", problem.GetProperty("supported").EnumerateArray().Select(e => e.GetString()));
    }


    [Fact]
    public async Task Rejects_an_unknown_stream_format_naming_audio_and_sse()
    {
        await (await _client.SpeakAsync(new { input = "Hi", voice = "alloy", stream_format = "chunked" })).AssertProblemAsync(400, "'sse'");
    }

    [Theory]
    [InlineData("{\"input\": \"Hi\", ")]
    [InlineData("not json at all")]
    [InlineData("[1,2,3]")]
    [InlineData("null")]
    public async Task Rejects_malformed_json_with_400(string body)
    {
        await (await _client.PostRawAsync(body)).AssertProblemAsync(400);
    }

    [Fact]
    public async Task Rejects_a_field_of_the_wrong_type_naming_the_field()
    {
        await (await _client.PostRawAsync("{\"input\":\"Hi\",\"speed\":\"fast\"}")).AssertProblemAsync(400, "speed");
        await (await _client.PostRawAsync("{\"input\":42}")).AssertProblemAsync(400, "input");
    }

    [Fact]
    public async Task Rejects_deeply_nested_json_with_400()
    {
        var deep = new string('[', 5000) + new string(']', 5000);
        await (await _client.PostRawAsync("{\"input\":\"Hi\",\"extra\":" + deep + "}")).AssertProblemAsync(400);
    }

    [Fact]
    public async Task Ignores_unknown_fields_as_openai_clients_send_them()
    {
        var response = await _client.PostRawAsync("{\"input\":\"Hello.\",\"voice\":\"alloy\",\"instructions\":\"Speak calmly\"}");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Rejects_wrong_content_type_with_415()
    {
        await (await _client.PostRawAsync("input=Hi", "application/x-www-form-urlencoded")).AssertProblemAsync(415, "application/json");
        await (await _client.PostRawAsync("{\"input\":\"Hi\"}", "text/plain")).AssertProblemAsync(415, "application/json");
    }

    [Fact]
    public async Task Rejects_a_body_larger_than_the_limit_with_413()
    {
        var huge = "{\"input\":\"" + new string('a', 2_000_000) + "\"}";
        await (await _client.PostRawAsync(huge)).AssertProblemAsync(413, "bytes");
    }

    [Fact]
    public async Task Unknown_routes_get_a_problem_404()
    {
        var response = await _client.GetAsync("/v1/nothing-here");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task Health_and_ready_report_a_loaded_silo()
    {
        var health = await _client.GetAsync("/health");
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var ready = await _client.GetFromJsonAsync<JsonElement>("/ready");
        Assert.Equal("ready", ready.GetProperty("status").GetString());
        Assert.Equal(2, ready.GetProperty("parallelism").GetInt32());
        Assert.StartsWith("2/2", ready.GetProperty("details").GetProperty("espeak.hosts").GetString());
    }

    [Fact]
    public async Task Serves_an_openapi_document_describing_the_speech_endpoint()
    {
        var doc = await _client.GetFromJsonAsync<JsonElement>("/openapi/v1.json");
        Assert.True(doc.GetProperty("paths").TryGetProperty("/v1/audio/speech", out var speech));
        Assert.True(speech.TryGetProperty("post", out _));
        Assert.True(doc.GetProperty("paths").TryGetProperty("/v1/voices", out _));
    }

    [Fact]
    public async Task Serves_the_webui_page_at_the_root()
    {
        var response = await _client.GetAsync("/");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("开始合成", html);
    }
}

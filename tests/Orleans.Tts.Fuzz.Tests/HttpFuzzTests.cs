using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Orleans.Tts.Fuzz;

namespace Orleans.Tts.Fuzz.Tests;

[Collection(FuzzSiloCollection.Name)]
public sealed class HttpFuzzTests(FuzzSilo silo)
{
    private static JsonElement Problem(Outcome outcome, int status)
    {
        var response = outcome.Response ?? throw new Xunit.Sdk.XunitException($"no response: {outcome.Error}");
        Assert.True(status == response.Status, $"expected {status}, got {response.Status}: {Oracle.Excerpt(response, 2000)}");
        Assert.Equal("application/problem+json", response.Header("content-type"));
        var problem = JsonDocument.Parse(response.BodyPrefix).RootElement;
        Assert.False(string.IsNullOrWhiteSpace(problem.GetProperty("detail").GetString()));
        return problem;
    }

    private static byte[] Speech(string json, params (string, string)[] headers) => RawRequest.Json("POST", "/v1/audio/speech", Encoding.UTF8.GetBytes(json), headers);

    [Fact]
    public async Task Three_thousand_seeded_hostile_requests_get_no_5xx_and_every_4xx_is_a_problem_with_a_detail()
    {
        var report = await new FuzzRunner(silo.Endpoint, new FuzzOptions
        {
            Seed = 20261122, Cases = 3000, Concurrency = 4, SlowClients = 0, ServerPid = silo.Silo.ProcessId, EarlyMark = 1000,
        }).RunAsync();

        Assert.True(report.Passed, report.Summary() + Environment.NewLine + silo.Silo.FormatOutput());
        Assert.Equal(3000, report.Cases);
        // The cases reach every kind of answer: audio, refusals of bad bodies, unknown routes, wrong methods.
        Assert.All(new[] { "200", "400", "404", "405", "413", "415" }, status => Assert.True(report.ByStatus.GetValueOrDefault(status) > 0, $"no {status}: {report.Summary()}"));
        Assert.Equal(CaseGenerator.CategoryNames.Order(), report.ByCategory.Keys.Order());
    }

    [Fact]
    public void The_same_seed_and_case_index_always_make_the_same_request()
    {
        var first = new CaseGenerator(5);
        var second = new CaseGenerator(5);

        foreach (var index in new long[] { 0, 1, 77, 4096, 99_999 })
            Assert.Equal(first.Case(index).Request, second.Case(index).Request);
        Assert.NotEqual(first.Case(1).Request, new CaseGenerator(6).Case(1).Request);
    }

    [Fact]
    public async Task Unknown_route_is_a_404_problem_that_lists_the_api_even_for_a_client_that_accepts_only_html()
    {
        var outcome = await silo.SendAsync(RawRequest.Build("GET", "/v1/nothing-here", [("Accept", "text/html")], null));

        var problem = Problem(outcome, 404);
        Assert.Contains("/v1/nothing-here", problem.GetProperty("detail").GetString());
        Assert.Contains("POST /v1/audio/speech", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task Openapi_document_is_served_and_any_other_document_name_is_a_404_problem()
    {
        Assert.Equal(200, (await silo.SendAsync(RawRequest.Build("GET", "/openapi/v1.json", [], null))).Response?.Status);

        Problem(await silo.SendAsync(RawRequest.Build("GET", "/openapi/v2.json", [], null)), 404);
    }

    [Theory]
    [InlineData("<speak><say-as interpret-as=\"date\" format=\"ymd\">2026-99999999999-1</say-as></speak>", "say-as")]
    [InlineData("<speak><break time=\"９９s\"/>Hi</speak>", "break")]
    public async Task Ssml_with_overflowing_or_non_ascii_numbers_is_a_400_naming_the_element(string ssml, string element)
    {
        var outcome = await silo.SendAsync(Speech(JsonSerializer.Serialize(new { input = ssml, voice = "alloy" })));

        Assert.Equal(element, Problem(outcome, 400).GetProperty("element").GetString());
    }

    [Theory]
    [InlineData("It costs $99999999999999999999999999999999999.")]
    [InlineData("Pay 99999999999999999999999 USD now.")]
    [InlineData("Fullwidth ０１２３ and 12-" + "9999999999999999999999999999999999999999999999999999999999999999999999999999999")]
    public async Task Text_with_numbers_beyond_every_number_type_is_spoken_not_a_500(string input)
    {
        var outcome = await silo.SendAsync(Speech(JsonSerializer.Serialize(new { input, voice = "alloy", response_format = "wav" })));

        Assert.True(outcome.Response?.Status == 200, outcome.Response is { } r ? Oracle.Excerpt(r) : outcome.Error);
        Assert.True(outcome.Response!.BodyLength > 10_000);
    }

    [Fact]
    public async Task An_escaped_lone_surrogate_in_input_is_a_400_that_says_so_not_a_wrong_type()
    {
        var outcome = await silo.SendAsync(Speech("{\"input\":\"\\ud800 Hello\",\"voice\":\"alloy\"}"));

        var detail = Problem(outcome, 400).GetProperty("detail").GetString()!;
        Assert.Contains("'input'", detail);
        Assert.Contains("lone surrogate", detail);
    }

    [Theory]
    [InlineData("<speak>Hi.</speak>\r")]
    [InlineData("<speak>Hi.</speak>\n\t ")]
    [InlineData("<?xml version=\"1.0\"?>\n<speak>Hi.</speak>")]
    public async Task Ssml_with_white_space_outside_the_root_element_is_spoken_not_a_500(string ssml)
    {
        var outcome = await silo.SendAsync(Speech(JsonSerializer.Serialize(new { input = ssml, voice = "alloy", response_format = "wav" })));

        Assert.True(outcome.Response?.Status == 200, outcome.Response is { } r ? Oracle.Excerpt(r) : outcome.Error);
    }

    [Theory]
    [InlineData("Hello\uFFFE there\uFFFF.")]
    [InlineData("Hello \uFDD0 there.")]
    public async Task Lone_surrogates_and_noncharacters_in_input_are_spoken_around_not_a_500(string escapedInput)
    {
        var outcome = await silo.SendAsync(Speech("{\"input\":\"" + escapedInput + "\",\"voice\":\"alloy\",\"response_format\":\"wav\"}"));

        Assert.True(outcome.Response?.Status == 200, outcome.Response is { } r ? Oracle.Excerpt(r) : outcome.Error);
        Assert.True(outcome.Response!.BodyLength > 10_000);
    }

    [Fact]
    public async Task A_NUL_in_input_is_spoken_past_not_taken_for_the_end_of_the_text()
    {
        const string text = "Hello there. The river runs past the hill.";
        var plain = await silo.SendAsync(Speech(JsonSerializer.Serialize(new { input = text, voice = "alloy", response_format = "wav" })));
        var withNuls = await silo.SendAsync(Speech(JsonSerializer.Serialize(new { input = "\0Hello there.\0 The river runs past\0 the hill.\0", voice = "alloy", response_format = "wav" })));

        Assert.True(withNuls.Response?.Status == 200, withNuls.Response is { } r ? Oracle.Excerpt(r) : withNuls.Error);
        // The engines take C strings: before the fix a leading NUL gave an empty file and a later one cut the text there.
        Assert.InRange(withNuls.Response!.BodyLength, plain.Response!.BodyLength * 0.85, plain.Response.BodyLength * 1.15);
    }

    [Theory]
    [InlineData("alloy")]
    [InlineData("espeak:cmn")]
    public async Task Digits_of_other_scripts_are_read_as_the_number_they_write(string voice)
    {
        var ascii = await silo.SendAsync(Speech(JsonSerializer.Serialize(new { input = "345 and 7.", voice, response_format = "wav" })));
        // Arabic-Indic and fullwidth digits between bidi overrides: the voice said nothing for them (an empty 200 before).
        var foreign = await silo.SendAsync(Speech(JsonSerializer.Serialize(new { input = "\u202d٣٤٥\u202c and ７.", voice, response_format = "wav" })));

        Assert.True(foreign.Response?.Status == 200, foreign.Response is { } r ? Oracle.Excerpt(r) : foreign.Error);
        Assert.InRange(foreign.Response!.BodyLength, ascii.Response!.BodyLength * 0.85, ascii.Response.BodyLength * 1.15);
    }

    [Theory]
    [InlineData("wav")]
    [InlineData("pcm")]
    public async Task Input_the_voice_makes_no_sound_from_is_a_400_not_an_empty_file(string format)
    {
        // Mathematical digits outside the BMP: letters and digits to the validator, silence to eSpeak's Mandarin voice.
        var outcome = await silo.SendAsync(Speech(JsonSerializer.Serialize(new { input = "𝟘𝟙", voice = "espeak:cmn", response_format = format })));

        var problem = Problem(outcome, 400);
        Assert.Equal("Nothing to speak", problem.GetProperty("title").GetString());
        Assert.Contains("'espeak:cmn' made no sound", problem.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_huge_body_id_is_echoed_shortened_in_the_id_mismatch_problem()
    {
        var body = "{\"voice\":\"alloy\",\"id\":\"" + new string('a', 50_000) + "\"}";

        var outcome = await silo.SendAsync(RawRequest.Json("PUT", "/v1/speakers/fz1", Encoding.UTF8.GetBytes(body)));

        Assert.InRange(Problem(outcome, 400).GetProperty("detail").GetString()!.Length, 1, 300);
    }

    [Fact]
    public async Task Wrong_method_is_a_405_problem_naming_the_method_that_is_allowed()
    {
        var outcome = await silo.SendAsync(RawRequest.Build("PATCH", "/v1/voices", [], null));

        var detail = Problem(outcome, 405).GetProperty("detail").GetString()!;
        Assert.Contains("PATCH", detail);
        Assert.Contains("GET", detail);
    }

    [Fact]
    public async Task A_chunk_size_that_overflows_is_a_400_problem_not_a_500()
    {
        var request = RawRequest.Build("POST", "/v1/audio/speech", [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
            "fffffffffffffffff\r\n{\"input\":\"Hi\"}\r\n0\r\n\r\n"u8.ToArray(), contentLength: false);

        var problem = Problem(await silo.SendAsync(request), 400);
        Assert.Contains("chunk", problem.GetProperty("detail").GetString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_chunk_longer_than_its_size_is_a_400_problem_not_a_500()
    {
        var request = RawRequest.Build("POST", "/v1/speakers", [("Content-Type", "application/json"), ("Transfer-Encoding", "chunked")],
            "3\r\n{\"voice\"\r\n0\r\n\r\n"u8.ToArray(), contentLength: false);

        Problem(await silo.SendAsync(request), 400);
    }

    [Theory]
    [InlineData("{\"input\":\"Hi.\",\"voice\":\"alloy\",\"response_format\":\"wav\",\"max_wait_ms\":1e308}")]
    [InlineData("{\"input\":\"Hi.\",\"voice\":\"alloy\",\"response_format\":\"wav\",\"max_wait_ms\":\"9e18\"}")]
    public async Task An_enormous_max_wait_is_clamped_to_the_server_maximum_not_a_500(string body)
    {
        var outcome = await silo.SendAsync(Speech(body));

        Assert.Equal(200, outcome.Response?.Status);
        Assert.Equal("audio/wav", outcome.Response!.Header("content-type"));
    }

    [Fact]
    public async Task An_enormous_max_wait_header_is_clamped_to_the_server_maximum_not_a_500()
    {
        var outcome = await silo.SendAsync(Speech("{\"input\":\"Hi.\",\"voice\":\"alloy\",\"response_format\":\"wav\"}", ("X-Tts-Max-Wait-Ms", "1.7976931348623157e308")));

        Assert.Equal(200, outcome.Response?.Status);
    }

    [Fact]
    public async Task Methods_a_client_invents_do_not_become_metric_labels()
    {
        var invented = Enumerable.Range(0, 20).Select(i => $"FUZZ{i}X").ToList();
        foreach (var method in invented) Assert.Equal(405, (await silo.SendAsync(RawRequest.Build(method, "/v1/voices", [], null))).Response?.Status);

        var metrics = await silo.HttpClient.GetStringAsync("/metrics");

        Assert.DoesNotContain("FUZZ", metrics);
        Assert.Contains("method=\"OTHER\"", metrics);
    }

    [Fact]
    public async Task Broken_model_files_are_each_reported_by_a_reload_and_the_silo_keeps_serving()
    {
        var response = await silo.HttpClient.PostAsync("/admin/models/reload", null);
        var report = await response.Content.ReadFromJsonAsync<JsonElement>();

        Assert.True(response.IsSuccessStatusCode, report.ToString());
        var failures = report.GetProperty("failures").EnumerateArray().ToDictionary(f => f.GetProperty("path").GetString()!, f => f.GetProperty("error").GetString()!);
        Assert.All(silo.BrokenFiles, file => Assert.False(string.IsNullOrWhiteSpace(failures.GetValueOrDefault(file)), $"{file} not reported: {report}"));
        Assert.Contains("2000000000", failures["piper/many-speakers.onnx"]);
        Assert.Contains("NaN", failures["kokoro/voices/af_nan.bin"]);
        Assert.Empty(report.GetProperty("voices").EnumerateArray());
        var speech = await silo.SendAsync(Speech("{\"input\":\"Still serving.\",\"voice\":\"alloy\",\"response_format\":\"wav\"}"));
        Assert.Equal(200, speech.Response?.Status);
    }
}

using System.Net;

namespace Orleans.Tts.Api.Tests.Ssml;

[Collection(SiloCollection.Name)]
public sealed class SsmlEndpointTests(SiloFactory factory)
{
    private readonly HttpClient _client = factory.CreateClient();

    private async Task<Wav> SpeakWavAsync(string input, string voice = "espeak:en-us")
    {
        var response = await _client.SpeakAsync(new { input, voice, response_format = "wav" });
        Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        return Wav.Parse(await response.Content.ReadAsByteArrayAsync());
    }

    /// <summary>The longest run of samples quieter than −60 dBFS, in seconds.</summary>
    private static double LongestSilence(Wav wav)
    {
        int longest = 0, run = 0;
        foreach (var s in wav.Samples)
        {
            run = Math.Abs((int)s) < 33 ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        return (double)longest / wav.SampleRate;
    }

    [Fact]
    public async Task Ssml_markup_is_never_read_aloud()
    {
        var plain = await SpeakWavAsync("Hello there.");
        var ssml = await SpeakWavAsync("<speak version=\"1.1\" xmlns=\"http://www.w3.org/2001/10/synthesis\" xml:lang=\"en-US\">Hello there.</speak>");
        Assert.InRange(ssml.Seconds, plain.Seconds - 0.1, plain.Seconds + 0.1);
    }

    [Fact]
    public async Task A_break_is_rendered_as_that_much_silence()
    {
        var without = await SpeakWavAsync("<speak>One. Two.</speak>");
        var with = await SpeakWavAsync("<speak>One.<break time=\"2s\"/>Two.</speak>");
        Assert.InRange(with.Seconds - without.Seconds, 1.7, 2.3);
        Assert.InRange(LongestSilence(with), 2.0, 2.6);
    }

    [Fact]
    public async Task Prosody_rate_slows_speech_and_volume_lowers_its_level()
    {
        const string text = "The quick brown fox jumps over the lazy dog.";
        var normal = await SpeakWavAsync($"<speak>{text}</speak>");
        var slow = await SpeakWavAsync($"<speak><prosody rate=\"x-slow\">{text}</prosody></speak>");
        var soft = await SpeakWavAsync($"<speak><prosody volume=\"-12dB\">{text}</prosody></speak>");

        Assert.True(slow.Seconds > normal.Seconds * 1.5, $"x-slow {slow.Seconds:0.00} s vs {normal.Seconds:0.00} s");
        Assert.InRange(soft.RmsDbfs - normal.RmsDbfs, -12.5, -11.5);
        Assert.InRange(soft.Seconds, normal.Seconds - 0.1, normal.Seconds + 0.1);
    }

    [Fact]
    public async Task Voice_and_lang_switch_voices_inside_one_request()
    {
        var mixed = await SpeakWavAsync("<speak>Hello. <voice name=\"espeak:cmn\">你好世界</voice> <lang xml:lang=\"de\">Guten Tag.</lang></speak>");
        var english = await SpeakWavAsync("Hello.");
        var chinese = await SpeakWavAsync("你好世界", "espeak:cmn");
        Assert.True(mixed.Seconds > english.Seconds + chinese.Seconds, $"{mixed.Seconds:0.00} s");
    }

    [Fact]
    public async Task Say_as_telephone_reads_digits_one_by_one()
    {
        var phone = await SpeakWavAsync("<speak><say-as interpret-as=\"telephone\">5551234</say-as></speak>");
        var digits = await SpeakWavAsync("five five five one two three four");
        Assert.InRange(phone.Seconds, digits.Seconds - 0.15, digits.Seconds + 0.15);
    }

    [Theory]
    [InlineData("<speak>Hi <emphasis>there</emphasis></speak>", 1, 12, "emphasis")]
    [InlineData("<speak>\n<break time=\"1 hour\"/></speak>", 2, 2, "break")]
    public async Task Unsupported_ssml_is_a_400_naming_the_element_and_its_line_and_column(string ssml, int line, int column, string element)
    {
        var problem = await (await _client.SpeakAsync(new { input = ssml, voice = "alloy" })).AssertProblemAsync(400, $"<{element}>", $"line {line}, column {column}");
        Assert.Equal(line, problem.GetProperty("line").GetInt32());
        Assert.Equal(column, problem.GetProperty("column").GetInt32());
        Assert.Equal(element, problem.GetProperty("element").GetString());
        Assert.Contains("prosody", problem.GetProperty("supportedElements").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task Malformed_ssml_is_a_400_with_its_position()
    {
        var problem = await (await _client.SpeakAsync(new { input = "<speak>\nHello <s>there</speak>", voice = "alloy" })).AssertProblemAsync(400, "not well-formed");
        Assert.Equal(2, problem.GetProperty("line").GetInt32());
    }

    [Fact]
    public async Task An_unknown_voice_or_language_in_ssml_is_a_400_at_its_element()
    {
        await (await _client.SpeakAsync(new { input = "<speak><voice name=\"nobody\">x</voice></speak>", voice = "alloy" }))
            .AssertProblemAsync(400, "<voice name=\"nobody\">", "line 1, column 9");
        await (await _client.SpeakAsync(new { input = "<speak><lang xml:lang=\"tlh\">x</lang></speak>", voice = "alloy" }))
            .AssertProblemAsync(400, "tlh", "/v1/voices");
    }

    [Fact]
    public async Task Entity_expansion_and_external_entities_are_refused_with_400()
    {
        const string laughs = "<!DOCTYPE speak [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><speak>&c;&c;&c;</speak>";
        await (await _client.SpeakAsync(new { input = laughs, voice = "alloy" })).AssertProblemAsync(400, "DOCTYPE");
        const string xxe = "<!DOCTYPE speak [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><speak>&x;</speak>";
        var problem = await (await _client.SpeakAsync(new { input = xxe, voice = "alloy" })).AssertProblemAsync(400, "DOCTYPE");
        Assert.DoesNotContain("root:", problem.GetRawText());
    }
}

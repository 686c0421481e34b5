using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Api.Tests;
using Orleans.Tts.Synthesis.Engines.Espeak;
using Orleans.Tts.Synthesis.Engines.Kokoro;
using Orleans.Tts.Voices.Tests.Fixtures;

namespace Orleans.Tts.Voices.Tests;

[Collection(VoicesCollection.Name)]
public sealed class ModelsApiTests(VoiceModels models)
{
    private HttpClient Client() => models.Silo.CreateClient();

    private static Task<HttpResponseMessage> SpeakAsync(HttpClient client, string voice, string input, double speed = 1.0) =>
        client.PostAsJsonAsync("/v1/audio/speech", new { input, voice, response_format = "wav", speed });

    private static async Task<Wav> WavAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
        Assert.Equal("audio/wav", response.Content.Headers.ContentType?.MediaType);
        return Wav.Parse(bytes);
    }

    [Fact]
    public async Task Voices_lists_the_onnx_voices_with_engine_language_sample_rate_and_speakers()
    {
        var list = await Client().GetFromJsonAsync<JsonElement>("/v1/voices");

        var voices = list.GetProperty("voices").EnumerateArray()
            .Where(v => v.GetProperty("engine").GetString() is "piper" or "kokoro")
            .ToDictionary(v => v.GetProperty("id").GetString()!);
        Assert.Equal(
            ["kokoro:af_bella", "kokoro:af_sky", "kokoro:zf_xiaoxiao", "piper:duo", "piper:duo#alice", "piper:duo#bob", "piper:en_US-test-medium"],
            voices.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(16000, voices["piper:en_US-test-medium"].GetProperty("sampleRate").GetInt32());
        Assert.Equal("en-us", voices["piper:en_US-test-medium"].GetProperty("languages")[0].GetString());
        Assert.Equal(["alice", "bob"], voices["piper:duo"].GetProperty("speakers").EnumerateArray().Select(s => s.GetString()));
        Assert.Equal(24000, voices["kokoro:zf_xiaoxiao"].GetProperty("sampleRate").GetInt32());
        Assert.Equal("zh", voices["kokoro:zf_xiaoxiao"].GetProperty("languages")[0].GetString());
        Assert.Contains(list.GetProperty("voices").EnumerateArray(), v => v.GetProperty("engine").GetString() == "espeak");
    }

    [Theory]
    [InlineData("piper:en_US-test-medium")]
    [InlineData("kokoro:af_bella")]
    public async Task Neural_voices_time_each_sentence_as_one_span_over_its_sound(string voice)
    {
        const string input = "First sentence here. And the second one!";
        var response = await Client().PostAsJsonAsync("/v1/audio/speech", new { input, voice, response_format = "wav", timestamps = "word" });
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, text);
        var body = JsonDocument.Parse(text).RootElement;
        var wav = Wav.Parse(Convert.FromBase64String(body.GetProperty("audio").GetString()!));
        var words = body.GetProperty("words").EnumerateArray().ToList();

        // The models output audio only (no durations): one entry per sentence, spanning it.
        Assert.Equal(["First sentence here.", "And the second one!"], words.Select(w => w.GetProperty("word").GetString()));
        Assert.Equal([0, 21], words.Select(w => w.GetProperty("text_start").GetInt32()));
        var previous = -1.0;
        foreach (var w in words)
        {
            var (start, end) = (w.GetProperty("start_ms").GetDouble(), w.GetProperty("end_ms").GetDouble());
            Assert.True(start > previous && end > start, w.ToString());
            Assert.True(end <= wav.Seconds * 1000 + 0.1, $"{end} ms past {wav.Seconds} s");
            var span = wav.Samples[(int)(start * wav.SampleRate / 1000)..(int)(end * wav.SampleRate / 1000)];
            // The fixture models' tones are quieter than speech: a sentence's stretch must be at least as loud as the whole file
            // (which also holds the silences between sentences) and far above digital silence.
            var level = new Wav(wav.SampleRate, 1, 16, span).RmsDbfs;
            Assert.True(level > -70 && level >= wav.RmsDbfs - 0.5, $"{w} is silent: {level:0.0} dBFS, the file {wav.RmsDbfs:0.0} dBFS");
            previous = start;
        }
    }

    [Fact]
    public async Task A_broken_model_is_reported_in_ready_details_while_the_other_voices_serve()
    {
        var client = Client();

        var ready = await client.GetAsync("/ready");
        var speech = await SpeakAsync(client, "piper:duo#bob", "Still serving.");

        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        var details = (await ready.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("details");
        Assert.Contains("Protobuf", details.GetProperty("piper.failed:piper/broken.onnx").GetString());
        Assert.Equal("no Piper config stray.onnx.json beside it, and not a Kokoro model (no voices/*.bin beside it)",
            details.GetProperty("piper.failed:stray.onnx").GetString());
        Assert.Equal("2", details.GetProperty("piper.models").GetString());
        Assert.Equal("3", details.GetProperty("kokoro.voices").GetString());
        Assert.Equal(22050, (await WavAsync(speech)).SampleRate);
    }

    [Fact]
    public async Task Speech_with_a_piper_voice_is_a_wav_at_the_config_rate_carrying_pipers_ids_for_espeaks_ipa()
    {
        var response = await SpeakAsync(Client(), "piper:en_US-test-medium", "Hello, world.");

        var wav = await WavAsync(response);
        Assert.Equal(16000, wav.SampleRate);
        // One 256-sample tone per id, then Piper's 0.2 s of sentence silence.
        var silence = 16000 / 5;
        Assert.All(wav.Samples[^silence..], s => Assert.Equal(0, s));
        var ids = Decode.Ids(wav.Samples.AsSpan(0, wav.Samples.Length - silence), models.Piper.Segment, models.Piper.Segment, models.Piper.BaseCycles);
        var symbols = PiperConfigFile.SmallMap(PiperConfigFile.EnglishSymbols).ToDictionary(e => e.Value[0], e => e.Key);
        Assert.Equal("^_h_ə_l_ˈ_o_ʊ_,_ _w_ˈ_ɜ_ː_l_d_._$", string.Concat(ids.Select(id => symbols[id])));
    }

    [Fact]
    public async Task Speed_makes_a_piper_voice_proportionally_shorter()
    {
        var client = Client();

        var normal = await WavAsync(await SpeakAsync(client, "piper:duo", "Hello there."));
        var fast = await WavAsync(await SpeakAsync(client, "piper:duo", "Hello there.", speed: 2.0));

        var silence = 22050 / 5;
        Assert.Equal((normal.Samples.Length - silence) / 2, fast.Samples.Length - silence);
    }

    [Fact]
    public async Task Parallel_requests_on_onnx_voices_never_mix_audio()
    {
        var client = Client();
        var requests = Enumerable.Range(0, 12)
            .Select(i => (Voice: i % 3 == 0 ? "kokoro:af_sky" : i % 3 == 1 ? "piper:duo#alice" : "piper:duo#bob",
                Text: $"Request number {i} says {new string('a', 1 + i)} and stops."))
            .ToArray();
        var expected = new List<byte[]>();
        foreach (var (voice, text) in requests)
            expected.Add(await (await SpeakAsync(client, voice, text)).Content.ReadAsByteArrayAsync());

        var rounds = await Task.WhenAll(Enumerable.Range(0, 3).SelectMany(_ => requests.Select(async (r, i) =>
            (Index: i, Bytes: await (await SpeakAsync(client, r.Voice, r.Text)).Content.ReadAsByteArrayAsync()))));

        Assert.Equal(requests.Length, expected.Distinct(new BytesComparer()).Count());
        Assert.All(rounds, r => Assert.Equal(expected[r.Index], r.Bytes));
    }

    [Fact]
    public async Task A_kokoro_blend_is_accepted_at_request_time_without_its_engine_prefix()
    {
        var response = await SpeakAsync(Client(), "af_bella*0.7+af_sky*0.3", "Blended.");

        var wav = await WavAsync(response);
        Assert.Equal(24000, wav.SampleRate);
        Assert.Equal("kokoro:af_bella*0.7+af_sky*0.3", response.Headers.GetValues("X-Tts-Voice").Single());
    }

    [Theory]
    [InlineData("kokoro:af_bella+af_nobody", "names 'af_nobody', which is not a Kokoro voice here")]
    [InlineData("af_bella*-2+af_sky", "must be a positive number")]
    [InlineData("piper:nobody", "There is no voice 'piper:nobody'")]
    public async Task A_voice_that_cannot_be_served_is_a_400_problem_saying_why(string voice, string detail)
    {
        var response = await SpeakAsync(Client(), voice, "Hello.");

        await response.AssertProblemAsync(400, detail);
    }

    [Fact]
    public async Task Espeak_gives_each_clause_with_the_punctuation_that_ended_it()
    {
        var espeak = models.Silo.Services.GetRequiredService<EspeakEngine>();

        var plain = await espeak.PhonemizeAsync("en-us", "Hello, world. How are you? Fine", null, default);
        var tied = await espeak.PhonemizeAsync("en-us", "My boy.", KokoroPhonemes.Tie, default);

        Assert.Equal([("həlˈoʊ", ","), ("wˈɜːld", "."), ("hˈaʊ ɑːɹ juː", "?"), ("fˈaɪn", "")], plain.Select(c => (c.Phonemes, c.Terminator)));
        Assert.Equal([("ma^ɪ bˈɔ^ɪ", ".")], tied.Select(c => (c.Phonemes, c.Terminator)));
    }

    [Fact]
    public async Task Mandarin_for_a_kokoro_voice_is_read_through_pinyin_with_kokoros_tone_arrows()
    {
        var kokoro = models.Silo.Services.GetRequiredService<KokoroEngine>();

        var phonemes = await kokoro.PhonemesAsync(KokoroLanguage.ByLetter['z'], "你好，世界。", default);

        Assert.Equal("ni↓ xɑu↓, ʂɨ↘ ʨiɛ↘.", phonemes);
    }

    [Fact]
    public async Task English_for_a_kokoro_voice_uses_kokoros_symbols()
    {
        var kokoro = models.Silo.Services.GetRequiredService<KokoroEngine>();

        var phonemes = await kokoro.PhonemesAsync(KokoroLanguage.ByLetter['a'], "My boy, how are you?", default);

        Assert.Equal("mI bˈY, hˈW ɑɹ ju?", phonemes);
    }

    private sealed class BytesComparer : IEqualityComparer<byte[]>
    {
        public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);
        public int GetHashCode(byte[] obj) => obj.Length;
    }
}

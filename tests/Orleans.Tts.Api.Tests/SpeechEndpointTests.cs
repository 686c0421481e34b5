using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Orleans.Tts.Audio.Tests.Codecs;

namespace Orleans.Tts.Api.Tests;

[Collection(SiloCollection.Name)]
public sealed class SpeechEndpointTests(SiloFactory factory)
{
    private readonly HttpClient _client = factory.CreateClient();

    [Fact]
    public async Task Speaks_english_as_a_wav_whose_header_matches_its_data()
    {
        var response = await _client.SpeakAsync(new { model = "tts-1", input = "Hello from the Orleans text to speech cluster.", voice = "espeak:en-us", response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/wav", response.Content.Headers.ContentType?.MediaType);
        var wav = Wav.Parse(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal(22050, wav.SampleRate);
        Assert.Equal(1, wav.Channels);
        Assert.Equal(16, wav.BitsPerSample);
        Assert.InRange(wav.Seconds, 1.5, 6);
        Assert.True(wav.RmsDbfs > -35, $"Too quiet: {wav.RmsDbfs:0.0} dBFS");
    }

    [Fact]
    public async Task Defaults_to_mp3_as_openai_does_and_maps_openai_voice_names()
    {
        var response = await _client.SpeakAsync(new { input = "Alloy is an OpenAI voice name.", voice = "alloy" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("espeak:en-us", response.Headers.GetValues("X-Tts-Voice").Single());
        Assert.Equal("audio/mpeg", response.Content.Headers.ContentType?.MediaType);
        var probe = await Ffmpeg.ProbeAsync(await response.Content.ReadAsByteArrayAsync());
        Assert.Equal("mp3", probe.Codec);
        Assert.Equal(22050, probe.SampleRate);
    }

    [Fact]
    public async Task Says_in_a_server_timing_header_where_a_request_spent_its_time_and_a_hit_skips_the_queue_and_synthesis()
    {
        static Dictionary<string, double> Timing(HttpResponseMessage response) => response.Headers.GetValues("Server-Timing").Single()
            .Split(',', StringSplitOptions.TrimEntries)
            .Select(entry => entry.Split(";dur="))
            .ToDictionary(p => p[0], p => double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture));

        var body = new { input = $"Where did the time go, {Guid.NewGuid():N}?", voice = "espeak:en-us", response_format = "wav" };
        var miss = await _client.SpeakAsync(body);
        Assert.Equal(HttpStatusCode.OK, miss.StatusCode);
        Assert.Equal("miss", miss.Headers.GetValues("X-Tts-Cache").Single());
        var parts = Timing(miss);
        Assert.Equal(["request", "cache", "queue", "synth", "release", "store", "total"], parts.Keys);
        Assert.All(parts.Values, ms => Assert.True(ms >= 0));
        Assert.True(parts["synth"] > 0, "synthesis takes time");
        // The parts follow each other: together they are the total (each rounded to 0.1 ms).
        Assert.InRange(parts["total"] - parts.Where(p => p.Key != "total").Sum(p => p.Value), -0.5, 0.5);

        var hit = Timing(await _client.SpeakAsync(body));
        Assert.Equal(["request", "cache", "total"], hit.Keys);
    }

    [Theory]
    [InlineData("mp3", "audio/mpeg", "mp3")]
    [InlineData("opus", "audio/opus", "opus")]
    [InlineData("flac", "audio/flac", "flac")]
    [InlineData("aac", "audio/aac", "aac")]
    [InlineData("wav", "audio/wav", "pcm_s16le")]
    public async Task Every_response_format_decodes_to_the_speech_of_the_wav(string format, string contentType, string codec)
    {
        const string text = "Every format carries the same speech.";
        var wav = Wav.Parse(await (await _client.SpeakAsync(new { input = text, voice = "espeak:en-us", response_format = "wav" })).Content.ReadAsByteArrayAsync());
        var response = await _client.SpeakAsync(new { input = text, voice = "espeak:en-us", response_format = format });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(contentType, response.Content.Headers.ContentType?.MediaType);
        var bytes = await response.Content.ReadAsByteArrayAsync();

        Assert.Equal(codec, (await Ffmpeg.ProbeAsync(bytes)).Codec);
        var decoded = await Ffmpeg.DecodeAsync(bytes);
        // ADTS cannot say how much of the first and last frames is encoder delay and padding: a decoder plays up to ~3 frames more.
        var longer = format == "aac" ? 3 * 1024.0 / 22050 : 0.05;
        Assert.InRange(decoded.Seconds, wav.Seconds - 0.05, wav.Seconds + longer);
        var rmsDbfs = 20 * Math.Log10(Math.Sqrt(decoded.Samples.Average(s => (double)s * s)) / 32768);
        Assert.InRange(rmsDbfs, wav.RmsDbfs - 1, wav.RmsDbfs + 1);
    }

    [Theory]
    [InlineData("mp3")]
    [InlineData("opus")]
    [InlineData("flac")]
    [InlineData("aac")]
    [InlineData("wav")]
    public async Task Streamed_and_whole_responses_decode_to_the_same_length(string format)
    {
        const string text = "The first sentence arrives early. The second one follows it. And the third closes the stream.";
        var whole = await (await _client.SpeakAsync(new { input = text, voice = "espeak:en-us", response_format = format })).Content.ReadAsByteArrayAsync();
        var streamedResponse = await _client.SpeakAsync(new { input = text, voice = "espeak:en-us", response_format = format, stream_format = "audio" });
        Assert.Equal(HttpStatusCode.OK, streamedResponse.StatusCode);
        var streamed = await streamedResponse.Content.ReadAsByteArrayAsync();

        var a = await Ffmpeg.DecodeAsync(whole);
        var b = await Ffmpeg.DecodeAsync(streamed);
        // Three sentences, each ≥ 1 s: a lost or repeated sentence is far outside this. The slack
        // covers eSpeak's per-host variation (≤ ~50 ms a sentence) and an MP3 stream's leading
        // Info frame (~24 ms).
        Assert.True(a.Seconds > 4, $"whole {format} decodes to only {a.Seconds:0.00} s");
        Assert.InRange(b.Seconds, a.Seconds - 0.2, a.Seconds + 0.2);
    }

    [Fact]
    public async Task Pcm_is_raw_16_bit_at_24_khz_with_the_same_duration()
    {
        const string text = "Raw samples for clients that play audio themselves.";
        var wav = Wav.Parse(await (await _client.SpeakAsync(new { input = text, voice = "espeak:en-us", response_format = "wav" })).Content.ReadAsByteArrayAsync());
        var response = await _client.SpeakAsync(new { input = text, voice = "espeak:en-us", response_format = "pcm" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("audio/pcm", response.Content.Headers.ContentType?.MediaType);
        var pcm = await response.Content.ReadAsByteArrayAsync();
        Assert.Equal(0, pcm.Length % 2);
        Assert.NotEqual("RIFF", System.Text.Encoding.ASCII.GetString(pcm, 0, 4));
        var seconds = pcm.Length / 2 / 24000.0;
        Assert.InRange(seconds, wav.Seconds - 0.01, wav.Seconds + 0.01);
    }

    [Theory]
    [InlineData("espeak:en-us", "It costs $1.5 million, due 2026-11-22.", "It costs one point five million dollars, due November twenty-second, twenty twenty-six.")]
    [InlineData("espeak:cmn", "2026年11月22日13:45，价格￥120。", "二零二六年十一月二十二日十三点四十五分，价格一百二十元。")]
    public async Task Numbers_dates_and_money_are_spoken_as_words_by_every_voice(string voice, string written, string spoken)
    {
        var a = Wav.Parse(await (await _client.SpeakAsync(new { input = written, voice, response_format = "wav" })).Content.ReadAsByteArrayAsync());
        var b = Wav.Parse(await (await _client.SpeakAsync(new { input = spoken, voice, response_format = "wav" })).Content.ReadAsByteArrayAsync());
        // The same words give the same length, up to eSpeak's small carried-over prosodic state (~50 ms).
        Assert.InRange(a.Seconds, b.Seconds - 0.1, b.Seconds + 0.1);
    }

    [Fact]
    public async Task Longer_text_gives_longer_audio()
    {
        var one = Wav.Parse(await (await _client.SpeakAsync(new { input = "One sentence.", voice = "espeak:en-gb", response_format = "wav" })).Content.ReadAsByteArrayAsync());
        var three = Wav.Parse(await (await _client.SpeakAsync(new
        {
            input = "One sentence. Then a second sentence that is longer. And a third one to finish the paragraph.",
            voice = "espeak:en-gb",
            response_format = "wav",
        })).Content.ReadAsByteArrayAsync());
        Assert.True(three.Seconds > one.Seconds * 3, $"{three.Seconds:0.00} s vs {one.Seconds:0.00} s");
    }

    [Fact]
    public async Task Mandarin_han_text_is_read_as_mandarin_syllables_not_tone_digits()
    {
        // 12 syllables. Read as Mandarin that is about 0.2–0.4 s each; eSpeak's own cmn voice
        // reads tone digits as English words ("ni three"), which more than doubles the length.
        const string text = "我们用这个服务来合成中文语音";
        var response = await _client.SpeakAsync(new { input = text, voice = "espeak:cmn", response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var wav = Wav.Parse(await response.Content.ReadAsByteArrayAsync());
        Assert.InRange(wav.Seconds, 12 * 0.15, 12 * 0.45);
        Assert.True(wav.RmsDbfs > -35);
    }

    [Fact]
    public async Task Mixed_chinese_and_english_produces_audio_for_every_run()
    {
        var zh = Wav.Parse(await (await _client.SpeakAsync(new { input = "我们用部署服务", voice = "espeak:cmn", response_format = "wav" })).Content.ReadAsByteArrayAsync());
        var en = Wav.Parse(await (await _client.SpeakAsync(new { input = "Kubernetes", voice = "espeak:en-us", response_format = "wav" })).Content.ReadAsByteArrayAsync());
        var mixed = Wav.Parse(await (await _client.SpeakAsync(new { input = "我们用 Kubernetes 部署服务", voice = "espeak:cmn", response_format = "wav" })).Content.ReadAsByteArrayAsync());
        Assert.True(mixed.Seconds > zh.Seconds + en.Seconds * 0.7,
            $"mixed {mixed.Seconds:0.00} s should hold the Chinese ({zh.Seconds:0.00} s) and the English ({en.Seconds:0.00} s)");
    }

    [Theory]
    [InlineData("espeak:yue", "你好，今日天氣好好。")]
    [InlineData("espeak:ja", "今日は良い天気です。")]
    [InlineData("espeak:ko", "안녕하세요, 반갑습니다.")]
    public async Task Speaks_cantonese_japanese_and_korean(string voice, string text)
    {
        var response = await _client.SpeakAsync(new { input = text, voice, response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var wav = Wav.Parse(await response.Content.ReadAsByteArrayAsync());
        Assert.InRange(wav.Seconds, 0.8, 6);
        Assert.True(wav.RmsDbfs > -35);
    }

    [Fact]
    public async Task Fifty_parallel_requests_each_get_their_own_correct_audio()
    {
        // Texts of different lengths, so a swapped or mixed buffer shows as a wrong duration or level.
        var texts = Enumerable.Range(1, 50).Select(i => $"Request {i}: " + string.Join(" ", Enumerable.Repeat("word", i % 10 + 1)) + ".").ToList();
        var expected = new List<Wav>();
        foreach (var t in texts)
            expected.Add(Wav.Parse(await (await _client.SpeakAsync(new { input = t, voice = "espeak:en-us", response_format = "wav" })).Content.ReadAsByteArrayAsync()));

        var responses = await Task.WhenAll(texts.Select(t => _client.SpeakAsync(new { input = t, voice = "espeak:en-us", response_format = "wav" })));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        var actual = (await Task.WhenAll(responses.Select(r => r.Content.ReadAsByteArrayAsync()))).Select(Wav.Parse).ToList();
        for (var i = 0; i < texts.Count; i++)
        {
            // eSpeak carries a little prosodic state between utterances, so the same
            // text on another engine host may differ by up to ~50 ms, never by a word (~300 ms).
            Assert.InRange(actual[i].Samples.Length, expected[i].Samples.Length - 1500, expected[i].Samples.Length + 1500);
            Assert.InRange(actual[i].RmsDbfs, expected[i].RmsDbfs - 1, expected[i].RmsDbfs + 1);
        }
    }

    [Theory]
    [InlineData("alloy")] [InlineData("ash")] [InlineData("ballad")] [InlineData("coral")] [InlineData("echo")] [InlineData("fable")] [InlineData("onyx")]
    [InlineData("nova")] [InlineData("sage")] [InlineData("shimmer")] [InlineData("verse")] [InlineData("marin")] [InlineData("cedar")]
    public async Task Every_openai_voice_name_speaks_english(string name)
    {
        var response = await _client.SpeakAsync(new { input = "Every OpenAI voice name works.", voice = name, response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("espeak:en-", response.Headers.GetValues("X-Tts-Voice").Single());
        Assert.InRange(Wav.Parse(await response.Content.ReadAsByteArrayAsync()).Seconds, 1, 5);
    }

    [Theory]
    [InlineData("espeak:en-gb", "espeak:en-gb")]
    [InlineData("cedar", "espeak:en-gb")]
    [InlineData("de", "espeak:de")]
    public async Task The_openai_sdks_voice_object_speaks_with_the_voice_of_its_id(string id, string voice)
    {
        var response = await _client.SpeakAsync(new { input = "Guten Tag, good day.", voice = new { id }, response_format = "wav" });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(voice, response.Headers.GetValues("X-Tts-Voice").Single());
    }

    [Fact]
    public async Task Models_are_listed_in_openais_shape_and_an_unknown_one_is_a_404_naming_them()
    {
        var list = await _client.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.Equal("list", list.GetProperty("object").GetString());
        var models = list.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["tts-1", "tts-1-hd", "gpt-4o-mini-tts"], models.Select(m => m.GetProperty("id").GetString()));
        Assert.All(models, m => Assert.Equal("model", m.GetProperty("object").GetString()));
        Assert.All(models, m => Assert.True(m.GetProperty("created").GetInt64() > 1_600_000_000));

        var one = await _client.GetFromJsonAsync<JsonElement>("/v1/models/tts-1-hd");
        Assert.Equal("tts-1-hd", one.GetProperty("id").GetString());
        var unknown = await _client.GetAsync("/v1/models/whisper-1");
        await unknown.AssertProblemAsync(404, "whisper-1", "tts-1, tts-1-hd, gpt-4o-mini-tts");
    }

    [Fact]
    public async Task Voices_lists_every_voice_with_metadata_and_aliases()
    {
        var doc = await _client.GetFromJsonAsync<JsonElement>("/v1/voices");
        var voices = doc.GetProperty("voices").EnumerateArray().ToList();
        Assert.True(voices.Count > 80);
        var cmn = voices.Single(v => v.GetProperty("id").GetString() == "espeak:cmn");
        Assert.Equal("espeak", cmn.GetProperty("engine").GetString());
        Assert.Equal(22050, cmn.GetProperty("sampleRate").GetInt32());
        Assert.Contains("cmn", cmn.GetProperty("languages").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal("espeak:en-us", doc.GetProperty("aliases").GetProperty("alloy").GetString());
    }
}

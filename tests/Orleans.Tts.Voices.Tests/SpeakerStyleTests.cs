using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using Orleans.Tts.Api.Tests;
using Orleans.Tts.Synthesis.Engines.Kokoro;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices.Tests.Fixtures;

namespace Orleans.Tts.Voices.Tests;

/// <summary>Speakers on neural voices: Kokoro blends and uploaded voice tables as the style the model receives, Piper speakers.</summary>
[Collection(VoicesCollection.Name)]
public sealed class SpeakerStyleTests(VoiceModels models)
{
    private const string Text = "Blended speaker.";

    private HttpClient Client() => models.Silo.CreateClient();

    private static async Task<Wav> WavAsync(HttpResponseMessage response)
    {
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {Encoding.UTF8.GetString(bytes)}");
        return Wav.Parse(bytes);
    }

    private static async Task<Wav> SpeakAsync(HttpClient client, string voice, string input = Text) =>
        await WavAsync(await client.PostAsJsonAsync("/v1/audio/speech", new { input, voice, response_format = "wav" }));

    private static async Task<JsonElement> CreateAsync(HttpClient client, object body)
    {
        var response = await client.PostAsJsonAsync("/v1/speakers", body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Created, $"{(int)response.StatusCode}: {text}");
        return JsonDocument.Parse(text).RootElement;
    }

    private static Task<HttpResponseMessage> UploadAsync(HttpClient client, string id, byte[] table, string contentType = "application/octet-stream")
    {
        var content = new ByteArrayContent(table);
        content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return client.PutAsync($"/v1/speakers/{id}/voice-table", content);
    }

    private float[] Table(string voice) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(models.KokoroVoice(voice))).ToArray();

    /// <summary>0.7 × af_bella + 0.3 × af_sky, value by value, as float32 bytes: the blend computed by hand.</summary>
    private byte[] HandBlend()
    {
        var (bella, sky) = (Table("af_bella"), Table("af_sky"));
        var mixed = new float[bella.Length];
        for (var i = 0; i < mixed.Length; i++) mixed[i] = (float)(0.7 * bella[i] + 0.3 * sky[i]);
        return MemoryMarshal.AsBytes(mixed.AsSpan()).ToArray();
    }

    /// <summary>The fixture Kokoro model's first (pad) tone has the amplitude |mean(style row)|, the row being the token count.</summary>
    private double PadAmplitude(Wav wav) =>
        Decode.Amplitude(new AudioClip(wav.SampleRate, wav.Samples), 0, models.Kokoro.Segment, models.Kokoro.Segment, models.Kokoro.BaseCycles);

    private int Tokens(Wav wav) => wav.Samples.Length / models.Kokoro.Segment - 2;

    private static double RowMean(float[] table, int row) => table.AsSpan(row * 256, 256).ToArray().Average();

    [Fact]
    public async Task A_blend_speaker_feeds_the_model_the_weighted_mean_table_and_sounds_like_the_hand_blended_table()
    {
        var client = Client();
        var created = await CreateAsync(client, new
        {
            id = "style-blend", voice = "kokoro:af_bella",
            blend = new object[] { new { table = "af_bella", weight = 7 }, new { table = "kokoro:af_sky", weight = 3 } },
        });
        Assert.Equal([("af_bella", 0.7), ("af_sky", 0.3)],
            created.GetProperty("blend").EnumerateArray().Select(p => (p.GetProperty("table").GetString(), Math.Round(p.GetProperty("weight").GetDouble(), 6))));
        await CreateAsync(client, new { id = "style-hand", voice = "kokoro:af_bella", voice_table = Convert.ToBase64String(HandBlend()) });

        var speaker = await SpeakAsync(client, "speaker:style-blend");
        var hand = await SpeakAsync(client, "speaker:style-hand");
        var bella = await SpeakAsync(client, "kokoro:af_bella");

        Assert.Equal(hand.Samples, speaker.Samples);
        Assert.NotEqual(bella.Samples, speaker.Samples);
        Assert.Equal(bella.Samples.Length, speaker.Samples.Length);
        var row = Tokens(speaker);
        var expected = Math.Abs(0.7 * RowMean(Table("af_bella"), row) + 0.3 * RowMean(Table("af_sky"), row));
        Assert.Equal(expected, PadAmplitude(speaker), 3);
        Assert.Equal(Math.Abs(RowMean(Table("af_bella"), row)), PadAmplitude(bella), 3);
    }

    [Fact]
    public async Task An_uploaded_voice_table_round_trips_byte_for_byte_and_becomes_the_speakers_style()
    {
        var client = Client();
        var created = await CreateAsync(client, new { id = "style-upload", voice = "kokoro:af_bella", speed = 1.0 });
        var sky = File.ReadAllBytes(models.KokoroVoice("af_sky"));

        var put = await UploadAsync(client, "style-upload", sky);

        var profile = await put.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal(created.GetProperty("version").GetInt64() + 1, profile.GetProperty("version").GetInt64());
        Assert.Equal(522_240, profile.GetProperty("voiceTable").GetProperty("bytes").GetInt32());
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(sky)), profile.GetProperty("voiceTable").GetProperty("sha256").GetString());
        var back = await client.GetAsync("/v1/speakers/style-upload/voice-table");
        Assert.Equal("application/octet-stream", back.Content.Headers.ContentType?.MediaType);
        Assert.Equal(sky, await back.Content.ReadAsByteArrayAsync());
        // af_bella's language, af_sky's style: the same audio as af_sky itself (both are American English).
        Assert.Equal((await SpeakAsync(client, "kokoro:af_sky")).Samples, (await SpeakAsync(client, "speaker:style-upload")).Samples);
        await (await client.GetAsync("/v1/speakers/style-blendless/voice-table")).AssertProblemAsync(404, "no speaker 'style-blendless'");
    }

    [Fact]
    public async Task Changing_a_speakers_blend_changes_its_audio_at_once()
    {
        var client = Client();
        await CreateAsync(client, new { id = "style-change", voice = "kokoro:af_bella", blend = new[] { new { table = "af_bella", weight = 1.0 } } });
        var before = await SpeakAsync(client, "speaker:style-change");

        var put = await client.PutAsJsonAsync("/v1/speakers/style-change", new { voice = "kokoro:af_bella", blend = new[] { new { table = "af_sky", weight = 1.0 } } });

        Assert.Equal(HttpStatusCode.OK, put.StatusCode);
        Assert.Equal((await SpeakAsync(client, "kokoro:af_bella")).Samples, before.Samples);
        Assert.Equal((await SpeakAsync(client, "kokoro:af_sky")).Samples, (await SpeakAsync(client, "speaker:style-change")).Samples);
    }

    [Fact]
    public async Task A_piper_speaker_names_a_speaker_of_a_multi_speaker_voice_and_speaks_as_it()
    {
        var client = Client();
        var created = await CreateAsync(client, new { id = "style-bob", voice = "piper:duo", engine_speaker = "bob" });

        Assert.Equal("piper:duo#bob", created.GetProperty("baseVoiceId").GetString());
        Assert.Equal((await SpeakAsync(client, "piper:duo#bob")).Samples, (await SpeakAsync(client, "speaker:style-bob")).Samples);
    }

    [Theory]
    [InlineData("""{"voice":"espeak:en-us","blend":[{"table":"af_bella","weight":1}]}""", "Bad blend", "needs a kokoro:… voice")]
    [InlineData("""{"voice":"kokoro:af_bella","blend":[{"table":"af_nobody","weight":1}]}""", "Bad blend", "'af_nobody', which is not a Kokoro voice here", "af_sky")]
    [InlineData("""{"voice":"kokoro:af_bella","blend":[{"table":"af_sky","weight":0}]}""", "Bad blend", "greater than 0")]
    [InlineData("""{"voice":"kokoro:af_bella","blend":[{"table":"af_sky","weight":-0.5}]}""", "Bad blend", "greater than 0")]
    [InlineData("""{"voice":"kokoro:af_bella","blend":[{"table":"af_sky"}]}""", "Bad blend", "needs a 'weight'", "got none")]
    [InlineData("""{"voice":"kokoro:af_bella","blend":[]}""", "Bad blend", "1 to 8 parts")]
    [InlineData("""{"voice":"kokoro:af_bella","blend":[{"table":"af_sky","weight":1},{"table":"AF_SKY","weight":1}]}""", "Bad blend", "again")]
    [InlineData("""{"voice":"kokoro:af_bella","blend":[{"weight":1}]}""", "Bad blend", "needs 'table'")]
    [InlineData("""{"voice":"kokoro:af_bella","blend":"af_sky"}""", "Malformed JSON", "blend")]
    [InlineData("""{"voice":"kokoro:af_bella","voice_table":"not base64!"}""", "Bad voice table", "not valid base64")]
    [InlineData("""{"voice":"kokoro:af_bella","voice_table":"AAAAAA=="}""", "Bad voice table", "exactly 522,240 bytes", "got 4 bytes")]
    [InlineData("""{"voice":"espeak:en-us","voice_table":"AAAAAA=="}""", "Bad voice table", "needs a kokoro:… voice")]
    [InlineData("""{"voice":"kokoro:af_bella","voice_table":"AAAAAA==","blend":[{"table":"af_sky","weight":1}]}""", "Bad voice table", "either 'blend' or 'voice_table'")]
    [InlineData("""{"voice":"kokoro:af_bella","engine_speaker":"bob"}""", "Bad engine_speaker", "multi-speaker Piper voice")]
    [InlineData("""{"voice":"piper:duo","engine_speaker":"carol"}""", "Bad engine_speaker", "no speaker 'carol'", "alice, bob")]
    public async Task Invalid_speaker_styles_are_400_problems_saying_what_is_allowed(string json, string title, params string[] detail)
    {
        var response = await Client().PostAsync("/v1/speakers", new StringContent(json, Encoding.UTF8, "application/json"));

        var problem = await response.AssertProblemAsync(400, detail);
        Assert.Equal(title, problem.GetProperty("title").GetString());
    }

    [Fact]
    public async Task A_blend_of_more_than_eight_tables_is_refused()
    {
        var parts = Enumerable.Range(0, 9).Select(i => new { table = i % 2 == 0 ? "af_bella" : "af_sky", weight = 1 });

        var response = await Client().PostAsJsonAsync("/v1/speakers", new { voice = "kokoro:af_bella", blend = parts });

        await response.AssertProblemAsync(400, "1 to 8 parts", "has 9");
    }

    [Fact]
    public async Task Uploaded_tables_with_nan_or_infinity_are_refused_naming_the_first_bad_value()
    {
        var client = Client();
        await CreateAsync(client, new { id = "style-nan", voice = "kokoro:af_bella" });
        var table = File.ReadAllBytes(models.KokoroVoice("af_sky"));
        BitConverter.TryWriteBytes(table.AsSpan((3 * 256 + 7) * 4), float.NaN);
        var infinite = File.ReadAllBytes(models.KokoroVoice("af_sky"));
        BitConverter.TryWriteBytes(infinite.AsSpan(509 * 256 * 4), float.PositiveInfinity);

        await (await UploadAsync(client, "style-nan", table)).AssertProblemAsync(400, "finite numbers only", "row 3, column 7", "NaN");
        await (await UploadAsync(client, "style-nan", infinite)).AssertProblemAsync(400, "row 509, column 0");
        var json = await client.PostAsJsonAsync("/v1/speakers", new { voice = "kokoro:af_bella", voice_table = Convert.ToBase64String(table) });
        await json.AssertProblemAsync(400, "row 3, column 7");
        Assert.Equal(HttpStatusCode.NotFound, (await client.GetAsync("/v1/speakers/style-nan/voice-table")).StatusCode);
    }

    [Fact]
    public async Task Uploads_of_the_wrong_size_type_or_speaker_are_refused_with_what_is_allowed()
    {
        var client = Client();
        await CreateAsync(client, new { id = "style-espeak", voice = "espeak:en-us" });
        await CreateAsync(client, new { id = "style-size", voice = "kokoro:af_bella" });
        var table = File.ReadAllBytes(models.KokoroVoice("af_sky"));

        await (await UploadAsync(client, "style-size", table[..^4])).AssertProblemAsync(400, "exactly 522,240 bytes", "got 522,236");
        await (await UploadAsync(client, "style-size", [.. table, 0, 0, 0, 0])).AssertProblemAsync(413, "exactly 522,240 bytes");
        await (await UploadAsync(client, "style-size", table, "application/json")).AssertProblemAsync(415, "application/octet-stream");
        await (await UploadAsync(client, "style-espeak", table)).AssertProblemAsync(400, "Kokoro styles");
        await (await UploadAsync(client, "style-nobody", table)).AssertProblemAsync(404, "no speaker 'style-nobody'");
    }

    [Fact]
    public async Task Voices_say_which_are_expensive_and_which_cheaper_voice_they_fall_back_to()
    {
        var list = await Client().GetFromJsonAsync<JsonElement>("/v1/voices");
        var voices = list.GetProperty("voices").EnumerateArray().ToDictionary(v => v.GetProperty("id").GetString()!);

        Assert.Equal("expensive", voices["kokoro:af_bella"].GetProperty("cost").GetString());
        Assert.Equal("espeak:en-us", voices["kokoro:af_bella"].GetProperty("fallback").GetString());
        Assert.Equal("expensive", voices["piper:duo#bob"].GetProperty("cost").GetString());
        Assert.Equal("espeak:en-us", voices["piper:duo#bob"].GetProperty("fallback").GetString());
        Assert.StartsWith("espeak:cmn", voices["kokoro:zf_xiaoxiao"].GetProperty("fallback").GetString());
        Assert.Equal("cheap", voices["espeak:en-us"].GetProperty("cost").GetString());
        Assert.Equal(JsonValueKind.Null, voices["espeak:en-us"].GetProperty("fallback").ValueKind);
    }

    [Fact]
    public async Task The_engine_renders_with_a_speakers_kokoro_style_embedding_instead_of_the_voice_table()
    {
        using var dir = new ModelsDirectory(models);
        dir.AddKokoroModel();
        dir.AddVoice("ef_test", 510, row => (row + 1) / 1024f);
        await using var engine = dir.Kokoro(new ScriptedPhonemizer());
        await engine.StartAsync(default);
        var style = new float[510 * 256];
        for (var i = 0; i < style.Length; i++) style[i] = -(i / 256 + 1) / 512f;
        var embedding = new Orleans.Tts.Speakers.SpeakerEmbedding("s", 1, "kokoro-style", MemoryMarshal.AsBytes(style.AsSpan()).ToArray());
        var other = new Orleans.Tts.Speakers.SpeakerEmbedding("s", 1, "voice-parameters", "{}"u8.ToArray());

        var styled = await engine.SynthesizeSentenceAsync("kokoro:ef_test", "aaa", new SynthesisOptions(Speaker: embedding), default);
        var ignored = await engine.SynthesizeSentenceAsync("kokoro:ef_test", "aaa", new SynthesisOptions(Speaker: other), default);

        var segment = models.Kokoro.Segment;
        Assert.Equal(4 / 512.0, Decode.Amplitude(styled, 0, segment, segment, models.Kokoro.BaseCycles), 4);
        Assert.Equal(4 / 1024.0, Decode.Amplitude(ignored, 0, segment, segment, models.Kokoro.BaseCycles), 4);
    }
}

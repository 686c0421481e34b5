using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Orleans.Tts.Api.Tests;

/// <summary>
/// <c>timestamps: "word"</c> on <c>POST /v1/audio/speech</c> (embedded silo): the whole-file JSON form and the SSE words events,
/// checked against the input and the decoded audio; the plain binary answer is unchanged.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class WordTimingsEndpointTests(SiloFactory factory)
{
    private readonly HttpClient _client = factory.CreateClient();

    private sealed record Word(string Text, double StartMs, double EndMs, int TextStart, int TextEnd);

    private static string Unique(string text) => $"{text} Run {Guid.NewGuid().ToString("N")[..6]}.";

    private static List<Word> ReadWords(JsonElement words) =>
        words.EnumerateArray().Select(w => new Word(w.GetProperty("word").GetString()!, w.GetProperty("start_ms").GetDouble(),
            w.GetProperty("end_ms").GetDouble(), w.GetProperty("text_start").GetInt32(), w.GetProperty("text_end").GetInt32())).ToList();

    /// <summary>Spans in order and within the input (each word's text is its span); times rising; each word's audio not silent; the last end within the audio.</summary>
    private static List<string> AssertValid(string input, short[] samples, int rate, IReadOnlyList<Word> words)
    {
        Assert.NotEmpty(words);
        var previousEnd = 0;
        var previousStart = -1.0;
        foreach (var w in words)
        {
            Assert.InRange(w.TextStart, previousEnd, input.Length - 1);
            Assert.InRange(w.TextEnd, w.TextStart + 1, input.Length);
            Assert.Equal(input[w.TextStart..w.TextEnd], w.Text);
            Assert.True(w.StartMs > previousStart && w.EndMs > w.StartMs, $"'{w.Text}' at {w.StartMs}–{w.EndMs} ms after {previousStart} ms");
            var from = (int)(w.StartMs * rate / 1000);
            var to = Math.Min(samples.Length, (int)(w.EndMs * rate / 1000));
            Assert.True(to > from, $"'{w.Text}' ends at {w.EndMs} ms, past the audio ({samples.Length * 1000.0 / rate:0} ms).");
            var level = Rms(samples.AsSpan(from, to - from));
            Assert.True(level > -40, $"'{w.Text}' is silent: {level:0.0} dBFS over {w.StartMs}–{w.EndMs} ms.");
            previousEnd = w.TextEnd;
            previousStart = w.StartMs;
        }
        Assert.True(words[^1].EndMs <= samples.Length * 1000.0 / rate + 0.1);
        return words.Select(w => w.Text).ToList();
    }

    private static double Rms(ReadOnlySpan<short> samples)
    {
        double sum = 0;
        foreach (var s in samples) sum += (double)s * s;
        return 20 * Math.Log10(Math.Max(Math.Sqrt(sum / Math.Max(samples.Length, 1)) / 32768.0, 1e-12));
    }

    private async Task<(JsonElement Body, HttpResponseMessage Response)> TimedAsync(object body)
    {
        var response = await _client.SpeakAsync(body);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {text}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        return (JsonDocument.Parse(text).RootElement, response);
    }

    [Fact]
    public async Task The_whole_file_json_form_carries_the_audio_and_words_mapped_to_the_input_and_the_binary_answer_is_unchanged()
    {
        var input = Unique("It costs $120 on 2026-11-22, about 3.5 km away. Then we stop.");
        var (body, response) = await TimedAsync(new { input, voice = "espeak:en-us", response_format = "wav", timestamps = "word" });
        Assert.Equal("audio/wav", body.GetProperty("content_type").GetString());
        var audio = Convert.FromBase64String(body.GetProperty("audio").GetString()!);
        var wav = Wav.Parse(audio);
        var words = ReadWords(body.GetProperty("words"));
        var texts = AssertValid(input, wav.Samples, wav.SampleRate, words);
        Assert.Equal(["It", "costs", "$120", "on", "2026-11-22", "about", "3.5 km", "away", "Then", "we", "stop", "Run"], texts[..12]);
        Assert.Equal("miss", response.Headers.GetValues("X-Tts-Cache").Single());

        // Without timestamps: the plain binary answer it always was, of the same speech (eSpeak NG's output varies by a few
        // samples from run to run, so two syntheses are compared by length).
        var plain = await _client.SpeakAsync(new { input, voice = "espeak:en-us", response_format = "wav" });
        Assert.Equal("audio/wav", plain.Content.Headers.ContentType?.MediaType);
        Assert.Equal("miss", plain.Headers.GetValues("X-Tts-Cache").Single());
        Assert.InRange(Wav.Parse(await plain.Content.ReadAsByteArrayAsync()).Seconds, wav.Seconds * 0.98, wav.Seconds * 1.02);

        // A timed result is cached with its words.
        var (again, hit) = await TimedAsync(new { input, voice = "espeak:en-us", response_format = "wav", timestamps = "word" });
        Assert.Equal("hit", hit.Headers.GetValues("X-Tts-Cache").Single());
        Assert.Equal(words, ReadWords(again.GetProperty("words")));
        Assert.Equal(audio, Convert.FromBase64String(again.GetProperty("audio").GetString()!));
    }

    [Fact]
    public async Task Spans_index_the_input_as_sent_even_where_the_service_cleaned_a_noncharacter_outside_the_bmp()
    {
        // U+1FFFE (two UTF-16 units) is read as one U+FFFD; the words after it still index the text as sent.
        var input = Unique("Odd \U0001FFFE mark, \U0001F600 then $120 here.");
        var (body, _) = await TimedAsync(new { input, voice = "espeak:en-us", response_format = "wav", timestamps = "word" });
        var wav = Wav.Parse(Convert.FromBase64String(body.GetProperty("audio").GetString()!));
        var texts = AssertValid(input, wav.Samples, wav.SampleRate, ReadWords(body.GetProperty("words")));
        Assert.Contains("$120", texts);
        Assert.Contains("here", texts);
    }

    [Fact]
    public async Task Speed_two_halves_the_word_times()
    {
        var input = Unique("The quick brown fox jumps over the lazy dog.");
        var (normal, _) = await TimedAsync(new { input, voice = "espeak:en-us", response_format = "wav", timestamps = "word" });
        var (fast, _) = await TimedAsync(new { input, voice = "espeak:en-us", response_format = "wav", timestamps = "word", speed = 2.0 });
        var (n, f) = (ReadWords(normal.GetProperty("words")), ReadWords(fast.GetProperty("words")));
        var fastWav = Wav.Parse(Convert.FromBase64String(fast.GetProperty("audio").GetString()!));
        AssertValid(input, fastWav.Samples, fastWav.SampleRate, f);
        Assert.Equal(n.Select(w => (w.TextStart, w.TextEnd)), f.Select(w => (w.TextStart, w.TextEnd)));
        // The first sentence's last word ("dog"): the 20 ms lead before the speech is the same at both speeds.
        var dog = n.FindIndex(w => w.Text == "dog");
        Assert.InRange((f[dog].StartMs - 20) / (n[dog].StartMs - 20), 0.4, 0.6);
    }

    [Fact]
    public async Task Mandarin_and_mixed_text_map_to_han_characters_and_latin_words()
    {
        var input = "我们用 Kubernetes 部署服务。价格是120元。";
        var (body, _) = await TimedAsync(new { input, voice = "espeak:cmn", response_format = "wav", timestamps = "word", speed = 1.01 });
        var wav = Wav.Parse(Convert.FromBase64String(body.GetProperty("audio").GetString()!));
        var texts = AssertValid(input, wav.Samples, wav.SampleRate, ReadWords(body.GetProperty("words")));
        Assert.Contains("Kubernetes", texts);
        Assert.Contains("们", texts);
        Assert.Contains(texts, t => t.Contains("120", StringComparison.Ordinal));
        Assert.All(texts.Where(t => t != "Kubernetes"), t => Assert.True(t.All(c => c is >= '\u4e00' and <= '\u9fff' || char.IsAsciiDigit(c)), $"'{t}'"));
    }

    [Fact]
    public async Task Ssml_words_point_into_the_text_content_of_the_markup()
    {
        var input = $"<speak>Hello <say-as interpret-as=\"cardinal\">42</say-as> &amp; <sub alias=\"World Wide Web\">WWW</sub>.<break time=\"300ms\"/> <prosody rate=\"fast\">Fast words {Guid.NewGuid().ToString("N")[..4]}.</prosody></speak>";
        var (body, _) = await TimedAsync(new { input, voice = "espeak:en-us", response_format = "wav", timestamps = "word" });
        var wav = Wav.Parse(Convert.FromBase64String(body.GetProperty("audio").GetString()!));
        var texts = AssertValid(input, wav.Samples, wav.SampleRate, ReadWords(body.GetProperty("words")));
        Assert.Equal(["Hello", "42", "&amp;", "WWW", "Fast", "words"], texts[..6]);
    }

    [Fact]
    public async Task Sse_sends_each_sentences_words_after_its_delta_and_the_cached_stream_sends_the_same_words()
    {
        var input = Unique("First sentence here. It costs $120.");
        var body = new { input, voice = "espeak:en-us", response_format = "wav", stream_format = "sse", timestamps = "word" };
        var fresh = await SseAsync(body);
        Assert.Equal("miss", fresh.Cache);
        // delta, words per sentence; then the done event.
        Assert.Equal("speech.audio.delta", fresh.Types[0]);
        Assert.Equal("speech.audio.words", fresh.Types[1]);
        Assert.Equal("speech.audio.done", fresh.Types[^1]);
        Assert.Equal(3, fresh.Types.Count(t => t == "speech.audio.words"));
        for (var i = 0; i < fresh.Types.Count; i++)
            if (fresh.Types[i] == "speech.audio.words") Assert.Equal("speech.audio.delta", fresh.Types[i - 1]);
        var samples = Pcm(fresh.Audio);
        var texts = AssertValid(input, samples, 22050, fresh.Words);
        Assert.Contains("$120", texts);

        var cached = await SseAsync(body);
        Assert.Equal("hit", cached.Cache);
        Assert.Equal(fresh.Audio, cached.Audio);
        Assert.Equal(fresh.Words, cached.Words);

        // The same request without timestamps sends OpenAI's events only.
        var plain = await SseAsync(new { input, voice = "espeak:en-us", response_format = "wav", stream_format = "sse" });
        Assert.DoesNotContain("speech.audio.words", plain.Types);
        Assert.InRange(plain.Audio.Length, fresh.Audio.Length * 0.98, fresh.Audio.Length * 1.02);
    }

    [Fact]
    public async Task Bad_timestamps_and_an_audio_stream_with_timestamps_are_problems()
    {
        await (await _client.SpeakAsync(new { input = "Hi.", voice = "espeak:en-us", timestamps = "phoneme" })).AssertProblemAsync(400, "timestamps", "word");
        await (await _client.SpeakAsync(new { input = "Hi.", voice = "espeak:en-us", timestamps = "word", stream_format = "audio" })).AssertProblemAsync(400, "sse");
    }

    /// <summary>The 16-bit samples of a streamed WAV (its 44-byte header has unknown sizes).</summary>
    private static short[] Pcm(byte[] wav)
    {
        var samples = new short[(wav.Length - 44) / 2];
        for (var i = 0; i < samples.Length; i++) samples[i] = BitConverter.ToInt16(wav, 44 + 2 * i);
        return samples;
    }

    private sealed record Sse(string Cache, List<string> Types, byte[] Audio, List<Word> Words);

    private async Task<Sse> SseAsync(object body)
    {
        using var response = await _client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech") { Content = JsonContent.Create(body) },
            HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var types = new List<string>();
        var audio = new MemoryStream();
        var words = new List<Word>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(), Encoding.UTF8);
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Length == 0) continue;
            var json = JsonDocument.Parse(line["data: ".Length..]).RootElement;
            var type = json.GetProperty("type").GetString()!;
            types.Add(type);
            if (type == "speech.audio.delta") audio.Write(Convert.FromBase64String(json.GetProperty("audio").GetString()!));
            if (type == "speech.audio.words") words.AddRange(ReadWords(json.GetProperty("words")));
        }
        return new Sse(response.Headers.GetValues("X-Tts-Cache").Single(), types, audio.ToArray(), words);
    }
}

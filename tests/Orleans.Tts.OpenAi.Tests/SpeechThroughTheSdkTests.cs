using System.Net.Http.Json;
using System.Text.Json;
using Orleans.Tts.Audio.Tests.Codecs;

namespace Orleans.Tts.OpenAi.Tests;

/// <summary>The official OpenAI Node SDK, unmodified, against the service: what a client written for OpenAI gets here.</summary>
[Collection(OpenAiSdkCollection.Name)]
public sealed class SpeechThroughTheSdkTests(OpenAiSdk sdk)
{
    private const string Text = "The official client speaks through this cluster. It works in every format.";

    [Theory]
    [InlineData("mp3", "audio/mpeg", "mp3")]
    [InlineData("opus", "audio/opus", "opus")]
    [InlineData("aac", "audio/aac", "aac")]
    [InlineData("flac", "audio/flac", "flac")]
    [InlineData("wav", "audio/wav", "pcm_s16le")]
    public async Task Every_format_comes_back_as_that_codec_with_the_speech_of_the_text(string format, string contentType, string codec)
    {
        var outcome = await sdk.CallAsync(new { model = "gpt-4o-mini-tts", voice = "alloy", input = Text, response_format = format });

        Assert.Null(outcome.Error);
        Assert.Equal(contentType, outcome.ContentType);
        Assert.Equal(codec, (await Ffmpeg.ProbeAsync(outcome.Audio)).Codec);
        AssertSpeech(await Ffmpeg.DecodeAsync(outcome.Audio));
    }

    [Fact]
    public async Task Pcm_is_raw_16_bit_speech_at_24_khz()
    {
        var outcome = await sdk.CallAsync(new { model = "tts-1", voice = "alloy", input = Text, response_format = "pcm" });
        Assert.Equal("audio/pcm", outcome.ContentType);
        AssertSpeech(await Ffmpeg.DecodeAsync(outcome.Audio, 24000));
    }

    [Theory]
    [InlineData("alloy")] [InlineData("ash")] [InlineData("ballad")] [InlineData("coral")] [InlineData("echo")] [InlineData("fable")] [InlineData("onyx")]
    [InlineData("nova")] [InlineData("sage")] [InlineData("shimmer")] [InlineData("verse")] [InlineData("marin")] [InlineData("cedar")]
    public async Task Every_voice_name_the_sdk_offers_speaks(string voice)
    {
        var outcome = await sdk.CallAsync(new { model = "tts-1", voice, input = "Hello.", response_format = "wav" });
        Assert.Null(outcome.Error);
        Assert.StartsWith("espeak:en-", outcome.Voice);
        Assert.InRange((await Ffmpeg.DecodeAsync(outcome.Audio)).Seconds, 0.3, 3);
    }

    [Fact]
    public async Task The_sdks_custom_voice_object_selects_a_voice_or_a_speaker_by_its_id()
    {
        var byId = await sdk.CallAsync(new { model = "tts-1", voice = new { id = "espeak:de" }, input = "Guten Tag.", response_format = "wav" });
        Assert.Null(byId.Error);
        Assert.Equal("espeak:de", byId.Voice);

        var created = await sdk.HttpClient.PostAsJsonAsync("/v1/speakers", new { id = "sdk-narrator", voice = "espeak:en-gb", speed = 1.3 });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
        var bySpeaker = await sdk.CallAsync(new { model = "tts-1", voice = new { id = "speaker:sdk-narrator" }, input = Text, response_format = "wav" });
        var plain = await sdk.CallAsync(new { model = "tts-1", voice = "espeak:en-gb", input = Text, response_format = "wav" });
        Assert.Null(bySpeaker.Error);
        Assert.Equal("espeak:en-gb", bySpeaker.Voice);
        // The speaker speaks at 1.3×: its audio is clearly shorter than the voice's own.
        Assert.InRange((await Ffmpeg.DecodeAsync(bySpeaker.Audio)).Seconds / (await Ffmpeg.DecodeAsync(plain.Audio)).Seconds, 0.6, 0.9);
    }

    [Fact]
    public async Task An_sse_stream_is_deltas_then_done_and_its_audio_is_the_whole_files()
    {
        var whole = await Ffmpeg.DecodeAsync((await sdk.CallAsync(new { model = "tts-1", voice = "alloy", input = Text, response_format = "wav" })).Audio);
        var sse = await sdk.CallAsync(new { model = "gpt-4o-mini-tts", voice = "alloy", input = Text, response_format = "pcm", stream_format = "sse" });

        Assert.Null(sse.Error);
        Assert.Equal("text/event-stream", sse.ContentType?.Split(';')[0]);
        Assert.True(sse.Events.Count >= 3, $"events: {string.Join(", ", sse.Events)}"); // two sentences, then done
        Assert.All(sse.Events.SkipLast(1), e => Assert.Equal("speech.audio.delta", e));
        Assert.Equal("speech.audio.done", sse.Events[^1]);
        Assert.True(sse.Result.GetProperty("usage").GetProperty("output_tokens").GetInt32() > 0);
        var streamed = await Ffmpeg.DecodeAsync(sse.Audio, 24000);
        Assert.InRange(streamed.Seconds, whole.Seconds - 0.05, whole.Seconds + 0.05);
    }

    [Fact]
    public async Task Word_timing_events_ride_beside_the_deltas_and_an_sdk_client_reading_only_openais_events_gets_the_same_audio()
    {
        // Its own text: both streams are synthesised (one delta per sentence), neither comes from the cache.
        var text = $"{Text} Timed {Guid.NewGuid().ToString("N")[..6]}.";
        var plain = await sdk.CallAsync(new { model = "tts-1", voice = "alloy", input = text, response_format = "pcm", stream_format = "sse" });
        // timestamps is this server's extension: the SDK sends the extra body field as it is.
        var timed = await sdk.CallAsync(new { model = "tts-1", voice = "alloy", input = text, response_format = "pcm", stream_format = "sse", timestamps = "word" });

        Assert.Null(timed.Error);
        Assert.Equal("text/event-stream", timed.ContentType?.Split(';')[0]);
        Assert.Contains("speech.audio.words", timed.Events);
        // Every event but the last is a delta or the words of the delta before it; the stream still ends with done.
        Assert.All(timed.Events.SkipLast(1), e => Assert.Contains(e, new[] { "speech.audio.delta", "speech.audio.words" }));
        Assert.Equal("speech.audio.done", timed.Events[^1]);
        Assert.Equal(plain.Events, timed.Events.Where(e => e != "speech.audio.words"));
        Assert.True(timed.Result.GetProperty("words").GetInt32() >= 12, timed.Result.ToString());
        // Reading only OpenAI's events, the client gets the audio of a stream without timings (eSpeak NG's output varies by a
        // few samples from run to run, so the two syntheses are compared by length).
        var (a, b) = (await Ffmpeg.DecodeAsync(plain.Audio, 24000), await Ffmpeg.DecodeAsync(timed.Audio, 24000));
        Assert.InRange(b.Seconds, a.Seconds - 0.05, a.Seconds + 0.05);
    }

    [Theory]
    [InlineData("mp3")]
    [InlineData("aac")]
    [InlineData("wav")]
    public async Task An_audio_stream_decodes_to_the_length_of_the_whole_file(string format)
    {
        var whole = await Ffmpeg.DecodeAsync((await sdk.CallAsync(new { model = "tts-1", voice = "alloy", input = Text, response_format = format })).Audio);
        var stream = await sdk.CallAsync(new { model = "tts-1", voice = "alloy", input = Text, response_format = format, stream_format = "audio" });

        Assert.Null(stream.Error);
        Assert.InRange((await Ffmpeg.DecodeAsync(stream.Audio)).Seconds, whole.Seconds - 0.1, whole.Seconds + 0.1);
    }

    [Fact]
    public async Task Instructions_are_accepted()
    {
        var outcome = await sdk.CallAsync(new { model = "gpt-4o-mini-tts", voice = "coral", input = "Hello.", instructions = "Speak in a cheerful tone.", response_format = "wav" });
        Assert.Null(outcome.Error);
        Assert.True(outcome.Audio.Length > 10_000);
    }

    [Fact]
    public async Task The_sdk_raises_a_bad_request_error_carrying_the_servers_reason()
    {
        var outcome = await sdk.CallAsync(new { model = "tts-1", voice = "no-such-voice", input = "Hello.", response_format = "wav" });
        var error = Assert.IsType<JsonElement>(outcome.Error);
        Assert.Equal("BadRequestError", error.GetProperty("name").GetString());
        Assert.Equal(400, error.GetProperty("status").GetInt32());
        Assert.Contains("no-such-voice", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task The_sdk_lists_the_speech_models()
    {
        var outcome = await sdk.CallAsync(new { list_models = true });
        Assert.Equal(["tts-1", "tts-1-hd", "gpt-4o-mini-tts"], outcome.Result.GetProperty("models").EnumerateArray().Select(m => m.GetProperty("id").GetString()));
    }

    /// <summary>Two sentences of English speech: seconds of audio, not silence.</summary>
    private static void AssertSpeech(Ffmpeg.Decoded decoded)
    {
        Assert.InRange(decoded.Seconds, 3, 9);
        var rms = Math.Sqrt(decoded.Samples.Average(s => (double)s * s)) / 32768;
        Assert.True(20 * Math.Log10(rms) > -35, $"too quiet: {20 * Math.Log10(rms):0.0} dBFS");
    }
}

using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Tts.Admission;
using Orleans.Tts.Audio.Codecs;
using Orleans.Tts.Speech;

namespace Orleans.Tts.ClusterClient.Tests;

[Collection(ClusterCollection.Name)]
public sealed class TtsClusterTests(OneSiloCluster cluster)
{
    private const string Text = "The facade speaks through Orleans. A second sentence makes a second chunk. And a third one ends it.";

    // Two syntheses of one text differ by a few samples here (eSpeak NG's output varies from run to run), so "the same bytes"
    // is what one request's file is to the other way in: the same cache key (ETag), hence the same file.

    // With the CPU starved the one permit's service estimate grows to about the 2 s deadline, and a request arriving while the
    // previous one's permit is still kept for its client is refused as it should be (503, Retry-After): retried as a client would,
    // since a refused request synthesised nothing and the cache's first answer is still a miss.
    private async Task<HttpResponseMessage> PostAsync(string text)
    {
        for (var attempt = 1; ; attempt++)
        {
            var response = await cluster.Http.PostAsJsonAsync("/v1/audio/speech", new { input = text, voice = "alloy", response_format = "wav" });
            if (response.StatusCode != System.Net.HttpStatusCode.ServiceUnavailable || attempt == 10) return response;
            await Task.Delay(response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1));
        }
    }

    private async Task<SpeechAudio> SynthesizeAsync(string text)
    {
        for (var attempt = 1; ; attempt++)
        {
            try { return await cluster.Tts.SynthesizeAsync(new SpeechCommand(text, "alloy", "wav")); }
            catch (SpeechBusyException e) when (attempt < 10) { await Task.Delay(e.RetryAfter); }
        }
    }

    [Fact]
    public async Task The_Orleans_client_and_the_REST_API_answer_one_request_with_the_same_wav_bytes_either_way_round()
    {
        var text = $"{Text} Orleans asked first.";
        var audio = await SynthesizeAsync(text);
        var rest = await PostAsync(text);

        Assert.True(rest.IsSuccessStatusCode, await rest.Content.ReadAsStringAsync());
        Assert.False(audio.CacheHit);
        Assert.Equal("hit", rest.Headers.GetValues("X-Tts-Cache").Single());
        Assert.Equal(await rest.Content.ReadAsByteArrayAsync(), audio.Content);
        Assert.Equal($"\"{audio.CacheKey}\"", rest.Headers.ETag?.Tag);
        Assert.Equal("audio/wav", audio.ContentType);
        Assert.Equal("espeak:en-us", audio.VoiceId);
        Assert.True(audio.AudioSeconds > 3, $"{audio.AudioSeconds} s of audio for four sentences");

        text = $"{Text} REST asked first.";
        rest = await PostAsync(text);
        audio = await SynthesizeAsync(text);

        Assert.True(rest.IsSuccessStatusCode, $"{(int)rest.StatusCode} {string.Join("; ", rest.Headers.Select(h => $"{h.Key}: {string.Join(",", h.Value)}"))} {await rest.Content.ReadAsStringAsync()}");
        Assert.Equal("miss", rest.Headers.GetValues("X-Tts-Cache").Single());
        Assert.True(audio.CacheHit);
        Assert.Equal(await rest.Content.ReadAsByteArrayAsync(), audio.Content);
        Assert.Equal($"\"{audio.CacheKey}\"", rest.Headers.ETag?.Tag);
    }

    [Fact]
    public async Task A_timed_streams_chunks_carry_each_sentences_words_mapped_to_the_input_and_the_cached_file_keeps_them()
    {
        var text = $"It costs $120 today. {Text} Timed {Guid.NewGuid().ToString("N")[..6]}.";
        var command = new SpeechCommand(text, "alloy", "wav", Timestamps: "word");
        var chunks = new List<SpeechChunk>();
        await foreach (var chunk in cluster.Tts.StreamAsync(command)) chunks.Add(chunk);
        var words = chunks.SelectMany(c => c.Words ?? []).ToList();

        // One chunk per sentence carries that sentence's words.
        Assert.True(chunks.Count(c => c.Words is { Count: > 0 }) >= 4, $"{chunks.Count(c => c.Words is { Count: > 0 })} chunks with words");
        Assert.Equal(["It", "costs", "$120", "today", "The", "facade"], words.Take(6).Select(w => w.Text));
        var previousEnd = 0;
        var previousStart = -1.0;
        foreach (var w in words)
        {
            Assert.Equal(text[w.TextStart..w.TextEnd], w.Text);
            Assert.True(w.TextStart >= previousEnd && w.StartMs > previousStart && w.EndMs > w.StartMs, $"{w}");
            (previousEnd, previousStart) = (w.TextEnd, w.StartMs);
        }

        // The stream stored its file with its words: the whole file answers from the cache with the same words, inside its audio.
        var whole = await cluster.Tts.SynthesizeAsync(command);
        Assert.True(whole.CacheHit);
        Assert.Equal(words, whole.Words);
        Assert.True(words[^1].EndMs <= whole.AudioSeconds * 1000 + 0.1, $"{words[^1].EndMs} ms past {whole.AudioSeconds} s");
        var samples = new short[(whole.Content.Length - 44) / 2];
        Buffer.BlockCopy(whole.Content, 44, samples, 0, samples.Length * 2);
        foreach (var w in words)
        {
            var span = samples.AsSpan((int)(w.StartMs * 22.05), (int)((w.EndMs - w.StartMs) * 22.05));
            double sum = 0;
            foreach (var s in span) sum += (double)s * s;
            var dbfs = 20 * Math.Log10(Math.Max(Math.Sqrt(sum / Math.Max(span.Length, 1)) / 32768.0, 1e-12));
            Assert.True(dbfs > -40, $"'{w.Text}' is silent: {dbfs:0.0} dBFS");
        }

        // Without timestamps the chunks carry none.
        await foreach (var chunk in cluster.Tts.StreamAsync(new SpeechCommand(text, "alloy", "wav"))) Assert.Null(chunk.Words);
    }

    [Fact]
    public async Task A_streams_chunks_concatenated_are_the_stream_form_of_the_file_it_stored_and_the_REST_stream()
    {
        var command = new SpeechCommand(Text, "alloy", "wav");
        var chunks = new List<SpeechChunk>();
        await foreach (var chunk in cluster.Tts.StreamAsync(command)) chunks.Add(chunk);
        // The completed stream stored its whole file: this is that file.
        var whole = await cluster.Tts.SynthesizeAsync(command);
        var rest = await cluster.Http.PostAsJsonAsync("/v1/audio/speech", new { input = Text, voice = "alloy", response_format = "wav", stream_format = "audio" });

        Assert.True(chunks.Count >= 3, $"{chunks.Count} chunks for three sentences");
        Assert.Equal(new SpeechStreamStart("audio/wav", "espeak:en-us", CacheHit: false, null, null), chunks[0].Start);
        Assert.All(chunks.Skip(1), c => Assert.Null(c.Start));
        Assert.All(chunks.SkipLast(1), c => Assert.Null(c.End));
        Assert.True(whole.CacheHit);
        var end = chunks[^1].End!;
        Assert.Equal(Text.Length, end.InputChars);
        Assert.Equal(whole.AudioSeconds, end.AudioSeconds);
        var streamed = chunks.SelectMany(c => c.Audio).ToArray();
        Assert.Equal(AudioEncoders.Streamed("wav", whole.Content), streamed);
        Assert.Equal(await rest.Content.ReadAsByteArrayAsync(), streamed);
    }

    [Fact]
    public async Task A_busy_cluster_throws_the_typed_busy_exception_with_a_retry_time()
    {
        // The cluster's only permit (one worker), held as a long synthesis would hold it.
        await using (await HoldTheOnlyPermitAsync())
        {
            var command = new SpeechCommand("Nobody can speak this now.", MaxWaitMs: 0);
            var whole = await Assert.ThrowsAsync<SpeechBusyException>(() => cluster.Tts.SynthesizeAsync(command));
            Assert.True(whole.RetryAfter > TimeSpan.Zero, $"retry after {whole.RetryAfter}");
            Assert.Contains("Retry", whole.Detail, StringComparison.OrdinalIgnoreCase);
            Assert.False(string.IsNullOrWhiteSpace(whole.Title));

            var stream = await Assert.ThrowsAsync<SpeechBusyException>(async () =>
            {
                await foreach (var _ in cluster.Tts.StreamAsync(command)) { }
            });
            Assert.True(stream.RetryAfter > TimeSpan.Zero, $"retry after {stream.RetryAfter}");
        }
        // The permit is back: the same request succeeds.
        Assert.NotEmpty((await SynthesizeAsync("Now it can be spoken.")).Content);
    }

    /// <summary>
    /// The permit for the test. With the CPU starved the grain may refuse even this one (a previous test's synthesis still holds the
    /// permit and its synthesis estimate reaches the 2 s deadline), as it should refuse a client; it is asked again after the Retry-After.
    /// </summary>
    private async Task<AdmissionPermit> HoldTheOnlyPermitAsync()
    {
        var admission = cluster.Silo.Services.GetRequiredService<IAdmission>();
        for (var attempt = 1; ; attempt++)
        {
            try { return await admission.AcquireAsync(new AdmissionRequest("test-holder", "espeak:en-us", 40, TimeSpan.Zero)); }
            catch (AdmissionRejectedException e) when (attempt < 10) { await Task.Delay(e.RetryAfter); }
        }
    }

    public static TheoryData<string, SpeechCommand, int, string, string> Hostile => new()
    {
        { "no input", new SpeechCommand(null), 400, "Missing input", "required" },
        { "empty input", new SpeechCommand(""), 400, "Empty input", "text to speak" },
        { "100k characters", new SpeechCommand(new string('a', 100_000)), 413, "Input too long", "at most 4096" },
        { "NaN speed", new SpeechCommand("Hello.", Speed: double.NaN), 400, "Bad speed", "from 0.25 to 4" },
        { "infinite pitch", new SpeechCommand("Hello.", Pitch: double.PositiveInfinity), 400, "Bad pitch", "semitones" },
        { "unknown voice", new SpeechCommand("Hello.", "no-such-voice"), 400, "Unknown voice", "GET /v1/voices" },
        { "unknown speaker", new SpeechCommand("Hello.", "speaker:nobody"), 400, "Unknown speaker", "no speaker 'nobody'" },
        { "bad format", new SpeechCommand("Hello.", ResponseFormat: "aiff"), 400, "Unsupported response_format", "Supported: " },
        { "negative wait", new SpeechCommand("Hello.", MaxWaitMs: -1), 400, "Bad max wait", "≥ 0" },
        { "broken SSML", new SpeechCommand("<speak><p>Hello"), 400, "Invalid SSML", "not well-formed XML" },
        { "huge caller", new SpeechCommand("Hello.", Caller: new string('c', 10_000)), 400, "Bad caller", "at most 64" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public async Task A_hostile_command_gets_the_typed_invalid_request_error_saying_what_is_allowed(string what, SpeechCommand command, int status, string title, string detail)
    {
        var whole = await Assert.ThrowsAsync<SpeechRequestInvalidException>(() => cluster.Tts.SynthesizeAsync(command));
        Assert.True(status == whole.Status, $"{what}: {whole.Status} {whole.Title}: {whole.Detail}");
        Assert.Equal(title, whole.Title);
        Assert.Contains(detail, whole.Detail);
        Assert.True(whole.Detail.Length < 1000, $"{what}: a detail of {whole.Detail.Length} characters");

        var stream = await Assert.ThrowsAsync<SpeechRequestInvalidException>(async () =>
        {
            await foreach (var _ in cluster.Tts.StreamAsync(command)) { }
        });
        Assert.Equal((whole.Status, whole.Title, whole.Detail), (stream.Status, stream.Title, stream.Detail));
    }

    [Fact]
    public async Task An_unsupported_format_says_which_are_supported_in_its_extensions_too()
    {
        var e = await Assert.ThrowsAsync<SpeechRequestInvalidException>(() => cluster.Tts.SynthesizeAsync(new SpeechCommand("Hello.", ResponseFormat: "m4a")));
        Assert.Contains("\"supported\":[\"mp3\"", e.ExtensionsJson);
        Assert.Contains("'m4a' is not supported", e.Detail);
    }

    [Fact]
    public async Task Leaving_a_stream_after_its_first_chunk_stops_the_work_and_frees_the_permit()
    {
        var admission = cluster.Silo.Services.GetRequiredService<IAdmission>();
        var text = string.Join(" ", Enumerable.Range(1, 60).Select(i => $"Sentence number {i} of a text nobody listens to the end of."));
        using var cancel = new CancellationTokenSource();
        await using (var chunks = cluster.Tts.StreamAsync(new SpeechCommand(text, ResponseFormat: "wav"), cancel.Token).GetAsyncEnumerator(cancel.Token))
        {
            Assert.True(await chunks.MoveNextAsync());
            Assert.NotNull(chunks.Current.Start);
            // The stream holds the cluster's one permit while it is read.
            Assert.Equal(1, admission.Status.HeldHere);
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => { while (await chunks.MoveNextAsync()) { } });
        }
        // Not after Orleans' idle-enumerator clean-up (the response timeout, 30 s): the cancellation and the disposal reach the silo.
        await Poll.UntilAsync(() => Task.FromResult(admission.Status.HeldHere == 0), TimeSpan.FromSeconds(5), "the stream's permit is given back");
        var worker = cluster.Silo.Services.GetRequiredService<Orleans.Tts.Synthesis.ISynthesisWorker>();
        await Poll.UntilAsync(() => Task.FromResult(worker.Status is { Running: 0, Queued: 0 }), TimeSpan.FromSeconds(5), "no sentence left running or queued");
    }

    [Fact]
    public async Task A_client_that_takes_its_time_over_each_chunk_still_gets_the_whole_stream()
    {
        var text = string.Join(" ", Enumerable.Range(1, 4).Select(i => $"Sentence number {i} is written to a slow disk."));
        var chunks = 0;
        SpeechChunk? last = null;
        await foreach (var chunk in cluster.Tts.StreamAsync(new SpeechCommand(text, ResponseFormat: "wav")))
        {
            chunks++;
            last = chunk;
            // A consumer busy with each chunk for a while (a slow sink): the silo holds the enumerator in between.
            if (chunks <= 2) await Task.Delay(TimeSpan.FromSeconds(1.5));
        }
        Assert.True(chunks >= 3, $"{chunks} chunks");
        Assert.NotNull(last?.End);
        Assert.True(last!.End!.AudioSeconds > 4, $"{last.End.AudioSeconds} s of audio");
    }

    [Fact]
    public async Task Voices_are_the_REST_APIs_voices()
    {
        var voices = await cluster.Tts.ListVoicesAsync();
        var rest = await cluster.Http.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1/voices");

        Assert.Contains(voices, v => v.Id == "espeak:en-us");
        Assert.Equal(rest.GetProperty("voices").EnumerateArray().Select(v => v.GetProperty("id").GetString()), voices.Select(v => v.Id));
    }
}

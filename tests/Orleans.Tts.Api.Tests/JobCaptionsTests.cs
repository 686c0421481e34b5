using System.Net;
using System.Net.Http.Json;
using Orleans.Tts.Jobs;
using Orleans.Tts.Testing;

namespace Orleans.Tts.Api.Tests;

/// <summary>A job's captions (<c>/v1/jobs/{id}/captions.vtt</c> and <c>.srt</c>) from the words its units recorded, in the embedded default.</summary>
[Collection(SiloCollection.Name)]
public sealed class JobCaptionsTests(SiloFactory factory)
{
    // Two units (4 sentences each), a line break, a blank line, numbers and markup-like characters.
    private const string Input =
        "The mill opened in 1850, and by then the river had changed course twice.\nIt cost $120 to mend the wheel. Nobody asked why!\n\n" +
        "The miller's daughter kept the books, and she wrote <everything> down & more. Rain came early that year. " +
        "The fields by the water flooded in March. By May the road was open again. Then the carts came back.";

    [Fact]
    public async Task Captions_of_a_finished_job_follow_its_audio_word_by_word_in_webvtt_and_srt()
    {
        var client = factory.CreateClient();
        var status = await JobsTests.SubmitAsync(client, new { input = Input, voice = "en-us", response_format = "wav" });
        var done = await JobsTests.WaitForStateAsync(client, status.Id, "succeeded");
        Assert.Equal(8, done.Progress.Total);
        var audio = Wav.Parse(await client.GetByteArrayAsync(done.AudioUrl));
        var length = TimeSpan.FromSeconds(audio.Seconds);

        var vtt = await client.GetAsync($"/v1/jobs/{status.Id}/captions.vtt");
        Assert.Equal(HttpStatusCode.OK, vtt.StatusCode);
        Assert.Equal("text/vtt", vtt.Content.Headers.ContentType?.MediaType);
        var webvtt = CaptionFile.ParseVtt(await vtt.Content.ReadAsStringAsync());
        webvtt.AssertCaptions(Input, length);
        // The input as written ("$120", the escaped markup), and no cue across its line breaks.
        Assert.Contains(webvtt.Cues, c => c.Text.Contains("$120", StringComparison.Ordinal));
        Assert.Contains(webvtt.Cues, c => c.Text.Contains("&lt;everything&gt;", StringComparison.Ordinal));
        Assert.Contains(webvtt.Cues, c => c.Text.EndsWith("twice", StringComparison.Ordinal));
        Assert.Contains(webvtt.Cues, c => c.Text.StartsWith("It cost", StringComparison.Ordinal));
        // Captions span the whole job, not one unit: cues start in both halves of the audio.
        Assert.Contains(webvtt.Cues, c => c.Start > length / 2);

        var srt = await client.GetAsync($"/v1/jobs/{status.Id}/captions.srt");
        Assert.Equal(HttpStatusCode.OK, srt.StatusCode);
        Assert.Equal("application/x-subrip", srt.Content.Headers.ContentType?.MediaType);
        var subrip = CaptionFile.ParseSrt(await srt.Content.ReadAsStringAsync());
        subrip.AssertCaptions(Input, length);
        Assert.Equal(webvtt.Cues.Select(c => (c.Start, c.End)), subrip.Cues.Select(c => (c.Start, c.End)));
    }

    [Fact]
    public async Task Captions_are_409_before_the_job_is_done_and_404_for_an_unknown_job()
    {
        var client = factory.CreateClient();
        var status = await JobsTests.SubmitAsync(client, new { input = JobsTests.Sentences(200, "meadow"), voice = "en-us" });
        try
        {
            foreach (var route in new[] { "captions.vtt", "captions.srt" })
            {
                var early = await client.GetAsync($"/v1/jobs/{status.Id}/{route}");
                await early.AssertProblemAsync(409, "captions", "retry in", "/events");
                Assert.True(early.Headers.RetryAfter?.Delta >= TimeSpan.FromSeconds(1));
            }
        }
        finally
        {
            await client.DeleteAsync($"/v1/jobs/{status.Id}");
        }
        await (await client.GetAsync($"/v1/jobs/{status.Id}/captions.vtt")).AssertProblemAsync(410, "cancelled");
        const string unknown = "job_00000000000000000000000000000000";
        await (await client.GetAsync($"/v1/jobs/{unknown}/captions.vtt")).AssertProblemAsync(404, unknown);
        await (await client.GetAsync($"/v1/jobs/{unknown}/captions.srt")).AssertProblemAsync(404, unknown);
    }

    [Fact]
    public async Task A_job_submitted_with_timestamps_none_has_no_captions_and_other_values_are_400()
    {
        var client = factory.CreateClient();
        var status = await JobsTests.SubmitAsync(client, new { input = "A job without words. It has two sentences.", voice = "en-us", timestamps = "none" });
        await JobsTests.WaitForStateAsync(client, status.Id, "succeeded");
        await (await client.GetAsync($"/v1/jobs/{status.Id}/captions.vtt")).AssertProblemAsync(404, "no word timings", "timestamps");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync($"/v1/jobs/{status.Id}/audio")).StatusCode);

        var bad = await client.PostAsJsonAsync("/v1/jobs", new { input = "Words, please.", voice = "en-us", timestamps = "sentence" });
        await bad.AssertProblemAsync(400, "timestamps", "word");
    }
}

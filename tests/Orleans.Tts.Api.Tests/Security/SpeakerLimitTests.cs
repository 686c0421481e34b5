using System.Net;
using System.Net.Http.Json;

namespace Orleans.Tts.Api.Tests.Security;

/// <summary>Clients cannot grow speaker storage without bound: beyond TTS_MAX_SPEAKERS a new speaker is a 409 problem.</summary>
public sealed class SpeakerLimitTests : IDisposable
{
    private readonly SiloFactory _factory = new(new Dictionary<string, string>(SiloFactory.Embedded) { ["TTS_MAX_SPEAKERS"] = "2" });

    public void Dispose() => _factory.Dispose();

    [Fact]
    public async Task Refuses_a_speaker_beyond_the_limit_with_409_and_accepts_one_after_a_delete()
    {
        var client = _factory.CreateClient();
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/v1/speakers", new { id = "one", voice = "en-us" })).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/v1/speakers", new { voice = "en-us" })).StatusCode);

        var third = await client.PostAsJsonAsync("/v1/speakers", new { id = "three", voice = "en-us" });
        var problem = await third.AssertProblemAsync(409, "2 speakers", "TTS_MAX_SPEAKERS", "DELETE");
        Assert.Equal(2, problem.GetProperty("maxSpeakers").GetInt32());
        await (await client.PutAsJsonAsync("/v1/speakers/three", new { voice = "en-us" })).AssertProblemAsync(409, "TTS_MAX_SPEAKERS");

        // Replacing an existing speaker adds nothing, so it is still allowed at the limit.
        Assert.Equal(HttpStatusCode.OK, (await client.PutAsJsonAsync("/v1/speakers/one", new { voice = "en-us", speed = 1.5 })).StatusCode);

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/speakers/one")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsJsonAsync("/v1/speakers", new { id = "three", voice = "en-us" })).StatusCode);
    }
}

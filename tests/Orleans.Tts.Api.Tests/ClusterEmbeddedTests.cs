using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Orleans.Tts.Api.Tests;

/// <summary>The embedded default (no Redis, no PostgreSQL): a one-silo Orleans cluster; speakers and the cache live in memory.</summary>
[Collection(SiloCollection.Name)]
public sealed class ClusterEmbeddedTests(SiloFactory factory)
{
    [Fact]
    public async Task Cluster_lists_just_this_silo()
    {
        var json = JsonDocument.Parse(await factory.CreateClient().GetStringAsync("/cluster")).RootElement;
        var cluster = json.GetProperty("cluster");
        Assert.Equal("embedded", cluster.GetProperty("mode").GetString());
        var member = Assert.Single(cluster.GetProperty("members").EnumerateArray());
        Assert.Equal("active", member.GetProperty("status").GetString());
        Assert.True(member.GetProperty("isSelf").GetBoolean());
        // Permits come from the admission grain even here: one code path for one silo and for many.
        Assert.Equal("orleans", json.GetProperty("admission").GetProperty("backend").GetString());
    }

    [Fact]
    public async Task Speakers_round_trip_and_synthesise_with_cache_headers()
    {
        var client = factory.CreateClient();
        var created = await client.PostAsJsonAsync("/v1/speakers", new { id = "embedded-ann", voice = "en-us", speed = 1.2 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        Assert.Equal(HttpStatusCode.Conflict, (await client.PostAsJsonAsync("/v1/speakers", new { id = "embedded-ann", voice = "en-us" })).StatusCode);
        var first = await client.SpeakAsync(new { input = "Embedded speaker.", voice = "speaker:embedded-ann" });
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal("miss", first.Headers.GetValues("X-Tts-Cache").Single());
        var second = await client.SendAsync(new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech")
        {
            Content = JsonContent.Create(new { input = "Embedded speaker.", voice = "speaker:embedded-ann" }),
            Headers = { { "If-None-Match", first.Headers.ETag!.Tag } },
        });
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync("/v1/speakers/embedded-ann")).StatusCode);
        (await client.SpeakAsync(new { input = "Gone.", voice = "speaker:embedded-ann" })).StatusCode.Equals(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("""{"id":"Bad Id!","voice":"en-us"}""", "Bad speaker id")]
    [InlineData("""{"voice":"no-such-voice"}""", "Unknown voice")]
    [InlineData("""{"voice":"en-us","volume":9}""", "Bad volume")]
    [InlineData("""{"speed":1}""", "Missing voice")]
    public async Task Invalid_speakers_get_clear_problems(string json, string title)
    {
        var response = await factory.CreateClient().PostAsync("/v1/speakers", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(title, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("title").GetString());
    }
}

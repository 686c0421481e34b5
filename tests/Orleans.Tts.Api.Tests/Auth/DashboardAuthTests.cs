using System.Net;
using System.Text.Json;

namespace Orleans.Tts.Api.Tests.Auth;

/// <summary>The Orleans Dashboard at /dashboard: an admin route when API keys are configured.</summary>
public sealed class DashboardAuthTests(AuthSiloFactory factory) : IClassFixture<AuthSiloFactory>
{
    [Theory]
    [InlineData("/dashboard/")]
    [InlineData("/dashboard/ClusterStats")]
    [InlineData("/Dashboard/index.html")]
    public async Task Without_a_key_the_dashboard_is_401_and_with_a_client_key_403(string path)
    {
        await (await factory.ClientWith(null).GetAsync(path)).AssertProblemAsync(401, "admin API key");
        var forbidden = await (await factory.ClientWith(factory.ClientKey).GetAsync(path)).AssertProblemAsync(403, "role 'admin'");
        Assert.Equal("admin", forbidden.GetProperty("requiredRole").GetString());
    }

    [Fact]
    public async Task With_the_admin_key_the_dashboard_page_and_its_api_answer()
    {
        var admin = factory.ClientWith(factory.AdminKey);
        var page = await admin.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType?.MediaType);
        Assert.Contains("<html", await page.Content.ReadAsStringAsync(), StringComparison.OrdinalIgnoreCase);

        // The page's data: the cluster's silos, as the dashboard grain collects them.
        var stats = await admin.GetAsync("/dashboard/ClusterStats");
        Assert.Equal(HttpStatusCode.OK, stats.StatusCode);
        using var json = JsonDocument.Parse(await stats.Content.ReadAsStringAsync());
        Assert.NotEqual(JsonValueKind.Undefined, json.RootElement.ValueKind);
    }
}

/// <summary>Without TTS_DASHBOARD the embedded single silo serves no dashboard (it would cost 70–90 MB of memory).</summary>
[Collection(SiloCollection.Name)]
public sealed class DashboardOffTests(SiloFactory factory)
{
    [Fact]
    public async Task The_embedded_silo_has_no_dashboard_by_default()
    {
        var response = await factory.CreateClient().GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}

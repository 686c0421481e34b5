using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Orleans.Tts.Frontend.Auth;

namespace Orleans.Tts.Api.Tests.Auth;

/// <summary>The embedded silo in memory with two API keys configured as hash lines (TTS_API_KEYS), anonymous synthesis refused.</summary>
public class AuthSiloFactory : WebApplicationFactory<Program>
{
    public string ClientKey { get; } = ApiKeys.Mint();
    public string AdminKey { get; } = ApiKeys.Mint();

    /// <summary>A second client key, to show what one client may not do to another's work.</summary>
    public string OtherClientKey { get; } = ApiKeys.Mint();

    /// <summary>A well-formed key that is configured nowhere.</summary>
    public string UnknownKey { get; } = ApiKeys.Mint();

    protected virtual bool RequireKey => true;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        builder.UseSetting("TTS_WORKERS", "2");
        builder.UseSetting("TTS_API_KEYS", $"{ApiKeys.HashLine("alice", ApiKeyRole.Client, ClientKey)};{ApiKeys.HashLine("bob", ApiKeyRole.Client, OtherClientKey)};{ApiKeys.HashLine("ops", ApiKeyRole.Admin, AdminKey)}");
        builder.UseSetting("TTS_REQUIRE_API_KEY", RequireKey ? "true" : "false");
        // The embedded silo leaves the Orleans Dashboard off by default (memory); these tests check its protection.
        builder.UseSetting("TTS_DASHBOARD", "true");
    }

    public HttpClient ClientWith(string? key)
    {
        var client = CreateClient();
        if (key is not null) client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", key);
        return client;
    }
}

/// <summary>Keys configured, but anonymous synthesis allowed (TTS_REQUIRE_API_KEY=false).</summary>
public sealed class OptionalKeySiloFactory : AuthSiloFactory
{
    protected override bool RequireKey => false;
}

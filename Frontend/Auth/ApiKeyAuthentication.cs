using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Frontend.Problems;

namespace Orleans.Tts.Frontend.Auth;

/// <summary>Who sent a request: a valid key's entry, or nobody; <paramref name="Verified"/> when keys are configured and checked.</summary>
public sealed record ClientIdentity(ApiKeyEntry? Key, bool Verified)
{
    public static readonly ClientIdentity Unverified = new(null, false);
    public static readonly ClientIdentity Anonymous = new(null, true);
}

/// <summary>What a request needs, from its route: nothing, any valid key (when keys are required), or an admin key.</summary>
public enum AccessLevel
{
    Open,
    Client,
    Admin,
}

/// <summary>
/// API-key authentication: keys come as <c>Authorization: Bearer KEY</c> or <c>X-Api-Key: KEY</c>. With keys
/// configured, <c>/admin/*</c>, <c>/dashboard</c> and speaker writes need an admin key, the rest of the API a valid key unless
/// <c>TTS_REQUIRE_API_KEY=false</c>; probes, metrics, the OpenAPI document and the WebUI page are open. A key that is
/// sent but not valid is always 401, never anonymous. No key, hash or Authorization value is ever logged or echoed.
/// </summary>
public static class ApiKeyAuthentication
{
    public const string Challenge = "Bearer realm=\"orleans-tts\"";
    private const string Scheme = "Bearer ";

    public static IServiceCollection AddApiKeyAuthentication(this IServiceCollection services, ApiKeyOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(sp => new ApiKeyStore(options, sp.GetRequiredService<ILogger<ApiKeyStore>>(), TimeProvider.System));
        return services;
    }

    /// <summary>Runs after routing (so the matched route decides) and before every endpoint.</summary>
    public static WebApplication UseApiKeyAuthentication(this WebApplication app)
    {
        var store = app.Services.GetRequiredService<ApiKeyStore>();
        if (!store.Enabled)
        {
            var host = app.Configuration["TTS_HOST"];
            if (host is { Length: > 0 } && host is not ("127.0.0.1" or "localhost" or "::1"))
                app.Logger.LogWarning("Authentication is off (no TTS_API_KEYS or TTS_API_KEYS_FILE) and the silo listens on {Host}: anyone who reaches it can reload models and write speakers", host);
        }
        app.UseRouting();
        app.Use(async (http, next) =>
        {
            var identity = store.Enabled ? await AuthenticateAsync(http, store) : ClientIdentity.Unverified;
            if (identity is null) return; // answered 401/403
            http.Features.Set(identity);
            await next(http);
        });
        return app;
    }

    /// <summary>
    /// Who a request counts against for per-client limits: a valid key's name (<c>key:NAME</c>), else the remote
    /// address (<c>ip:ADDR</c>). With authentication off, a sent key is an unverified label and counts as its hash.
    /// </summary>
    public static string ClientId(HttpContext http)
    {
        var identity = http.Features.Get<ClientIdentity>() ?? ClientIdentity.Unverified;
        if (identity.Key is { } key) return "key:" + key.Name;
        if (!identity.Verified && Credential(http.Request).Key is { Length: > 0 } label)
            return "key:" + Convert.ToHexStringLower(ApiKeys.HashOf(label))[..16];
        return "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }

    /// <summary>The level a request needs, from its matched route (path when none matched); case-insensitive like routing.</summary>
    public static AccessLevel Required(HttpContext http, bool requireKey)
    {
        var route = http.GetEndpoint() is RouteEndpoint e && e.RoutePattern.RawText is { } raw ? "/" + raw.TrimStart('/') : http.Request.Path.Value ?? "/";
        var path = http.Request.Path.Value ?? "/";
        // The Orleans Dashboard shows every grain, silo and recent log line of the cluster: operators only.
        if (StartsWith(route, "/admin") || StartsWith(path, "/admin") || StartsWith(route, "/dashboard") || StartsWith(path, "/dashboard")) return AccessLevel.Admin;
        if ((StartsWith(route, "/v1/speakers") || StartsWith(path, "/v1/speakers")) && !HttpMethods.IsGet(http.Request.Method) && !HttpMethods.IsHead(http.Request.Method))
            return AccessLevel.Admin;
        if (Is(route, "/") || Is(route, "/health") || Is(route, "/ready") || Is(route, "/metrics") || StartsWith(route, "/openapi/") || StartsWith(route, "/internal/"))
            return AccessLevel.Open;
        return requireKey ? AccessLevel.Client : AccessLevel.Open;
    }

    private static bool StartsWith(string path, string prefix) =>
        path.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && (path.Length == prefix.Length || path[prefix.Length] == '/' || prefix.EndsWith('/'));

    private static bool Is(string path, string exact) => path.TrimEnd('/').Equals(exact.TrimEnd('/'), StringComparison.OrdinalIgnoreCase);

    private static async Task<ClientIdentity?> AuthenticateAsync(HttpContext http, ApiKeyStore store)
    {
        var needed = Required(http, store.Options.RequireKey);
        var (key, malformed) = Credential(http.Request);
        if (malformed is not null)
        {
            await Unauthorized(http, "Malformed credentials", malformed);
            return null;
        }
        if (key is null)
        {
            if (needed == AccessLevel.Open) return ClientIdentity.Anonymous;
            await Unauthorized(http, "API key required",
                $"{(needed == AccessLevel.Admin ? "This endpoint needs an admin API key" : "This service needs an API key")}: send it as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'. " +
                "Keys are issued by the operator (./tts key new NAME [--admin]).", invalidToken: false);
            return null;
        }
        var entry = store.Authenticate(key);
        if (entry is null)
        {
            await Unauthorized(http, "Invalid API key",
                "The API key sent is not valid here (unknown, revoked or mistyped); it is not used as anonymous access. Retrying with the same key will fail: ask the operator for a valid key.");
            return null;
        }
        if (needed == AccessLevel.Admin && entry.Role != ApiKeyRole.Admin)
        {
            await Problem.Of(StatusCodes.Status403Forbidden, "Admin key required",
                    $"The key '{entry.Name}' has the role '{entry.RoleName}'; {http.Request.Method} {Shown(http.Request.Path)} needs a key with the role 'admin'. Retrying with the same key will fail.",
                    new Dictionary<string, object?> { ["requiredRole"] = "admin", ["keyName"] = entry.Name, ["keyRole"] = entry.RoleName })
                .ExecuteAsync(http);
            return null;
        }
        return new ClientIdentity(entry, Verified: true);
    }

    /// <summary>The key from Authorization: Bearer or X-Api-Key; both may be sent only if equal. Nothing of it is echoed.</summary>
    private static (string? Key, string? Malformed) Credential(HttpRequest request)
    {
        string? bearer = null;
        if (request.Headers.Authorization.Count > 1 || request.Headers["X-Api-Key"].Count > 1)
            return (null, "Send one credential: a single Authorization or X-Api-Key header.");
        if (request.Headers.Authorization.FirstOrDefault() is { } auth)
        {
            if (!auth.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase) || auth.Length == Scheme.Length)
                return (null, "The Authorization header must be 'Bearer <key>'; other schemes are not accepted. 'X-Api-Key: <key>' works too.");
            bearer = auth[Scheme.Length..].Trim();
        }
        var header = request.Headers["X-Api-Key"].FirstOrDefault()?.Trim();
        if (header is { Length: 0 }) return (null, "The X-Api-Key header is empty: send the key, or leave the header out.");
        if (bearer is not null && header is not null && bearer != header)
            return (null, "Authorization and X-Api-Key carry different keys: send one of them.");
        return (bearer ?? header, null);
    }

    private static Task Unauthorized(HttpContext http, string title, string detail, bool invalidToken = true)
    {
        http.Response.Headers.WWWAuthenticate = invalidToken ? Challenge + ", error=\"invalid_token\"" : Challenge;
        return Problem.Of(StatusCodes.Status401Unauthorized, title, detail).ExecuteAsync(http);
    }

    private static string Shown(PathString path) => path.Value is { Length: > 80 } p ? p[..80] + "…" : path.Value ?? "/";
}

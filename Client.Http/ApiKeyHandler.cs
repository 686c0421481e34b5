using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;

namespace Orleans.Tts.Client;

/// <summary>Sends <see cref="TtsClientOptions.ApiKey"/> as <c>Authorization: Bearer</c> on every request, when one is set.</summary>
public sealed class ApiKeyHandler(TtsClientOptions options) : DelegatingHandler
{
    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (options.ApiKey is { Length: > 0 } key && request.Headers.Authorization is null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return base.SendAsync(request, cancellationToken);
    }
}

public static class ApiKeyHandlerExtensions
{
    /// <summary>Adds <see cref="ApiKeyHandler"/> to the client's handler chain.</summary>
    public static IHttpClientBuilder AddTtsApiKey(this IHttpClientBuilder builder, TtsClientOptions options) =>
        builder.AddHttpMessageHandler(() => new ApiKeyHandler(options));
}

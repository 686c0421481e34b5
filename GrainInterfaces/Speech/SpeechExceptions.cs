using System.Text.Json;

namespace Orleans.Tts.Speech;

/// <summary>
/// The cluster cannot take the request now (capacity, a draining silo, storage out of reach): the same request may succeed
/// after <see cref="RetryAfter"/>. The REST API answers it as 503 with Retry-After.
/// </summary>
[GenerateSerializer, Alias("tts.SpeechBusyException")]
public sealed class SpeechBusyException : Exception
{
    public SpeechBusyException(string detail, TimeSpan retryAfter, string title = "Service busy") : base(detail)
    {
        Title = title;
        Detail = detail;
        RetryAfter = retryAfter;
    }

    /// <summary>A short summary, the same for every instance of the cause (RFC 9457 title).</summary>
    [Id(0)] public string Title { get; private set; }

    /// <summary>What happened and what to do.</summary>
    [Id(1)] public string Detail { get; private set; }

    [Id(2)] public TimeSpan RetryAfter { get; private set; }
}

/// <summary>
/// The request is wrong (RFC 9457-like): <see cref="Detail"/> says what was wrong and what is allowed; sending it again
/// unchanged is refused again. <see cref="Status"/> is the REST API's HTTP status for it (400, or 413 for too long an input).
/// </summary>
[GenerateSerializer, Alias("tts.SpeechRequestInvalidException")]
public sealed class SpeechRequestInvalidException : Exception
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <param name="extensions">Machine-readable members (such as <c>supported</c> formats), kept as JSON so they cross the wire.</param>
    public SpeechRequestInvalidException(string title, string detail, IReadOnlyDictionary<string, object?>? extensions = null, int status = 400) : base(detail)
    {
        Status = status;
        Title = title;
        Detail = detail;
        ExtensionsJson = extensions is null ? null : JsonSerializer.Serialize(extensions, Json);
    }

    [Id(0)] public int Status { get; private set; }

    [Id(1)] public string Title { get; private set; }

    [Id(2)] public string Detail { get; private set; }

    /// <summary>The problem's extension members as a JSON object, or null.</summary>
    [Id(3)] public string? ExtensionsJson { get; private set; }
}

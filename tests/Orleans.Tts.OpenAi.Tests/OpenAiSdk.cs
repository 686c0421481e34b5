using System.Diagnostics;
using System.Text.Json;
using Orleans.Tts.Testing;
using Xunit.Abstractions;

namespace Orleans.Tts.OpenAi.Tests;

/// <summary>A silo of the embedded default and the official OpenAI Node SDK (installed by scripts/install-openai-sdk.sh) to call it with.</summary>
public sealed class OpenAiSdk(IMessageSink diagnostics) : SiloFixture(diagnostics)
{
    public const string Version = "7.55.0";

    /// <summary>TTS_OPENAI_SDK, else the package in the tests' cache.</summary>
    public static string Directory =>
        Environment.GetEnvironmentVariable("TTS_OPENAI_SDK") is { Length: > 0 } dir ? dir
        : Path.Combine(Environment.GetEnvironmentVariable("TTS_CACHE_DIR") is { Length: > 0 } c ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "orleans-tts"), $"openai-node-{Version}", "node_modules", "openai");

    /// <summary>What the SDK gave back: the response's status and headers, the audio it delivered, the SSE event types, or the error it threw.</summary>
    public sealed record Outcome(JsonElement Result, byte[] Audio)
    {
        public string? ContentType => Result.TryGetProperty("contentType", out var c) ? c.GetString() : null;
        public string? Voice => Result.TryGetProperty("voice", out var v) ? v.GetString() : null;
        public JsonElement? Error => Result.TryGetProperty("error", out var e) ? e : null;
        public IReadOnlyList<string> Events => [.. Result.GetProperty("events").EnumerateArray().Select(e => e.GetString()!)];
    }

    /// <summary>One call of the SDK with <paramref name="request"/> (the SDK's own parameter names) in a Node process.</summary>
    public async Task<Outcome> CallAsync(object request)
    {
        var sdk = Directory;
        if (!File.Exists(Path.Combine(sdk, "index.mjs")))
            throw new InvalidOperationException($"The OpenAI SDK is not at {sdk}: scripts/install-openai-sdk.sh installs it (./tts test runs it).");
        var audio = Path.GetTempFileName();
        try
        {
            var start = new ProcessStartInfo("node")
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                ArgumentList = { Path.Combine(AppContext.BaseDirectory, "sdk-client.mjs"), sdk, new Uri(BaseAddress, "/v1").ToString(), JsonSerializer.Serialize(request), audio },
            };
            using var node = Process.Start(start)!;
            var stdout = node.StandardOutput.ReadToEndAsync();
            var stderr = node.StandardError.ReadToEndAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
            await node.WaitForExitAsync(timeout.Token);
            var line = (await stdout).Trim();
            if (node.ExitCode != 0 || line.Length == 0) throw new InvalidOperationException($"node exited with {node.ExitCode}: {await stderr}");
            return new Outcome(JsonDocument.Parse(line).RootElement.Clone(), await File.ReadAllBytesAsync(audio));
        }
        finally { File.Delete(audio); }
    }
}

[CollectionDefinition(Name)]
public sealed class OpenAiSdkCollection : ICollectionFixture<OpenAiSdk>
{
    public const string Name = "openai-sdk";
}

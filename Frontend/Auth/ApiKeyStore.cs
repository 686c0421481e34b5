using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace Orleans.Tts.Frontend.Auth;

/// <summary>
/// Authentication settings: key hash lines from <c>TTS_API_KEYS</c> and the file <c>TTS_API_KEYS_FILE</c> (a mounted
/// Secret); <c>TTS_REQUIRE_API_KEY</c> (default true once keys are configured) refuses anonymous synthesis.
/// </summary>
public sealed record ApiKeyOptions(string? InlineKeys, string? KeysFile, bool RequireKey)
{
    /// <summary>Authentication is on as soon as either setting is present, even when it holds no key (fail closed).</summary>
    public bool Enabled => InlineKeys is not null || KeysFile is not null;

    public static ApiKeyOptions From(IConfiguration config)
    {
        var inline = config["TTS_API_KEYS"] is { Length: > 0 } k ? k : null;
        var file = config["TTS_API_KEYS_FILE"] is { Length: > 0 } f ? f : null;
        var require = config["TTS_REQUIRE_API_KEY"]?.Trim().ToLowerInvariant() switch
        {
            null or "" => true,
            "true" or "1" or "yes" => true,
            "false" or "0" or "no" => false,
            var other => throw new InvalidOperationException($"Setting TTS_REQUIRE_API_KEY='{other}' is invalid: use true (anonymous synthesis refused, the default) or false."),
        };
        return new ApiKeyOptions(inline, file, require);
    }
}

/// <summary>
/// The configured keys, as hashes. A presented key is hashed once and compared with every entry in constant time;
/// the file is re-read when it changes (checked at most every <see cref="RecheckInterval"/>), so rotating a Secret
/// needs no restart. A file that turns unreadable or invalid keeps the keys loaded before.
/// </summary>
public sealed class ApiKeyStore
{
    public static readonly TimeSpan RecheckInterval = TimeSpan.FromSeconds(5);

    private readonly ApiKeyOptions _options;
    private readonly ILogger<ApiKeyStore> _logger;
    private readonly TimeProvider _clock;
    private readonly IReadOnlyList<ApiKeyEntry> _inline;
    private readonly Lock _reload = new();
    private volatile IReadOnlyList<ApiKeyEntry> _keys;
    private (DateTime Written, long Length) _fileStamp;
    private long _nextCheck;

    public ApiKeyStore(ApiKeyOptions options, ILogger<ApiKeyStore> logger, TimeProvider clock)
    {
        _options = options;
        _logger = logger;
        _clock = clock;
        _inline = options.InlineKeys is { } text ? ApiKeys.Parse(text, "TTS_API_KEYS") : [];
        var fromFile = options.KeysFile is { } path ? ReadFile(path) : [];
        _keys = Merge(_inline, fromFile);
        _nextCheck = clock.GetTimestamp();
        if (options.Enabled)
            logger.LogInformation("API keys: {Count} configured ({Admins} admin); anonymous synthesis {Anonymous}", _keys.Count, _keys.Count(k => k.Role == ApiKeyRole.Admin),
                options.RequireKey ? "refused" : "allowed");
    }

    public ApiKeyOptions Options => _options;

    public bool Enabled => _options.Enabled;

    public int Count => _keys.Count;

    /// <summary>The entry whose hash matches <paramref name="key"/>, or null; every entry is compared, in constant time.</summary>
    public ApiKeyEntry? Authenticate(string key)
    {
        RefreshIfDue();
        var hash = ApiKeys.HashOf(key);
        ApiKeyEntry? match = null;
        foreach (var entry in _keys)
            if (CryptographicOperations.FixedTimeEquals(hash, entry.Hash)) match = entry;
        return match;
    }

    private void RefreshIfDue()
    {
        if (_options.KeysFile is not { } path || _clock.GetTimestamp() < Interlocked.Read(ref _nextCheck)) return;
        if (!_reload.TryEnter()) return;
        try
        {
            Interlocked.Exchange(ref _nextCheck, _clock.GetTimestamp() + (long)(RecheckInterval.TotalSeconds * _clock.TimestampFrequency));
            if (Stamp(path) == _fileStamp) return;
            try
            {
                _keys = Merge(_inline, ReadFile(path));
                _logger.LogInformation("API keys reloaded from TTS_API_KEYS_FILE: {Count} configured", _keys.Count);
            }
            catch (Exception e) when (e is InvalidOperationException or IOException or UnauthorizedAccessException)
            {
                // The message names the entry and the format, never a line's text.
                _logger.LogError("API keys file could not be reloaded, the previous {Count} keys stay in force: {Reason}", _keys.Count, e.Message);
            }
        }
        finally
        {
            _reload.Exit();
        }
    }

    private IReadOnlyList<ApiKeyEntry> ReadFile(string path)
    {
        _fileStamp = Stamp(path);
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"TTS_API_KEYS_FILE '{path}' cannot be read: {e.Message}", e);
        }
        return ApiKeys.Parse(text, $"TTS_API_KEYS_FILE '{path}'");
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : (DateTime.MinValue, -1);
    }

    private static IReadOnlyList<ApiKeyEntry> Merge(IReadOnlyList<ApiKeyEntry> inline, IReadOnlyList<ApiKeyEntry> file)
    {
        var duplicate = inline.Select(e => e.Name).Intersect(file.Select(e => e.Name)).FirstOrDefault();
        if (duplicate is not null)
            throw new InvalidOperationException($"The key name '{duplicate}' is in both TTS_API_KEYS and TTS_API_KEYS_FILE; names identify clients, so each key needs its own.");
        return [.. inline, .. file];
    }
}

using System.Buffers.Binary;
using System.Collections.Frozen;
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
/// The configured keys, as hashes, indexed by the first 8 bytes of the hash. A presented key is hashed once; the
/// entries sharing its prefix (one, almost always) are compared in full with a constant-time compare, so the cost does
/// not grow with the number of keys and timing reveals nothing about a key (only, at most, about a SHA-256 prefix);
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
    private volatile Index _keys;
    private (DateTime Written, long Length) _fileStamp;
    private long _nextCheck;

    public ApiKeyStore(ApiKeyOptions options, ILogger<ApiKeyStore> logger, TimeProvider clock)
    {
        _options = options;
        _logger = logger;
        _clock = clock;
        _inline = options.InlineKeys is { } text ? ApiKeys.Parse(text, "TTS_API_KEYS") : [];
        var fromFile = options.KeysFile is { } path ? ReadFile(path) : [];
        _keys = new Index(Merge(_inline, fromFile));
        _nextCheck = clock.GetTimestamp();
        if (options.Enabled)
            logger.LogInformation("API keys: {Count} configured ({Admins} admin); anonymous synthesis {Anonymous}", _keys.Count, _keys.Admins,
                options.RequireKey ? "refused" : "allowed");
    }

    public ApiKeyOptions Options => _options;

    public bool Enabled => _options.Enabled;

    public int Count => _keys.Count;

    /// <summary>The entry whose hash matches <paramref name="key"/>, or null.</summary>
    public ApiKeyEntry? Authenticate(string key)
    {
        RefreshIfDue();
        return _keys.Find(ApiKeys.HashOf(key));
    }

    private sealed class Index
    {
        private readonly FrozenDictionary<ulong, ApiKeyEntry[]> _byPrefix;

        public Index(IReadOnlyList<ApiKeyEntry> entries)
        {
            var same = entries.GroupBy(e => Convert.ToHexString(e.Hash)).FirstOrDefault(g => g.Count() > 1);
            if (same is not null)
                throw new InvalidOperationException($"The keys '{string.Join("' and '", same.Select(e => e.Name))}' have the same hash, so one key would be several clients: mint one key per name.");
            _byPrefix = entries.GroupBy(e => Prefix(e.Hash)).ToFrozenDictionary(g => g.Key, g => g.ToArray());
            Count = entries.Count;
            Admins = entries.Count(e => e.Role == ApiKeyRole.Admin);
        }

        public int Count { get; }
        public int Admins { get; }

        public ApiKeyEntry? Find(byte[] hash)
        {
            ApiKeyEntry? match = null;
            foreach (var entry in _byPrefix.GetValueOrDefault(Prefix(hash), []))
                if (CryptographicOperations.FixedTimeEquals(hash, entry.Hash)) match = entry;
            return match;
        }

        private static ulong Prefix(byte[] hash) => BinaryPrimitives.ReadUInt64LittleEndian(hash);
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
                _keys = new Index(Merge(_inline, ReadFile(path)));
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

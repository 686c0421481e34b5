using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace Orleans.Tts.Frontend.Auth;

/// <summary>What a key may do: <c>client</c> synthesises and reads; <c>admin</c> also reloads models and writes speakers.</summary>
public enum ApiKeyRole
{
    Client,
    Admin,
}

/// <summary>One configured key: its name (the client id for per-client limits), role and SHA-256 — never the key itself.</summary>
public sealed record ApiKeyEntry(string Name, ApiKeyRole Role, byte[] Hash)
{
    public string RoleName => Role == ApiKeyRole.Admin ? "admin" : "client";
}

/// <summary>
/// Key minting, hashing and the hash-line format <c>NAME ROLE sha256:HEX</c> of <c>TTS_API_KEYS</c> and
/// <c>TTS_API_KEYS_FILE</c>. Keys are 256 random bits, so one SHA-256 (no salt, no stretching) cannot be reversed.
/// </summary>
public static partial class ApiKeys
{
    public const string Prefix = "tts_";
    public const string HashScheme = "sha256:";
    public const string LineFormat = "NAME ROLE sha256:HEX (NAME: 1–64 of A–Z a–z 0–9 . _ -; ROLE: client or admin; HEX: 64 hex digits)";

    [GeneratedRegex("^[A-Za-z0-9._-]{1,64}$")]
    private static partial Regex NamePattern();

    public static bool IsValidName(string name) => NamePattern().IsMatch(name);

    /// <summary>A new key from the OS's CSPRNG: <c>tts_</c> and 43 base64url characters (256 bits).</summary>
    public static string Mint() => Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    public static byte[] HashOf(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>The configuration line for a key: what the operator stores instead of the key.</summary>
    public static string HashLine(string name, ApiKeyRole role, string key) =>
        $"{name} {(role == ApiKeyRole.Admin ? "admin" : "client")} {HashScheme}{Convert.ToHexStringLower(HashOf(key))}";

    /// <summary>
    /// Parses hash lines (newline- or <c>;</c>-separated; blank lines and <c>#</c> comments skipped). A bad line throws
    /// with its number and the expected format, never its text: a pasted plaintext key must not reach a log.
    /// </summary>
    public static IReadOnlyList<ApiKeyEntry> Parse(string text, string source)
    {
        var entries = new List<ApiKeyEntry>();
        var lines = text.Split(['\n', ';']);
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            var parts = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            string Where() => $"{source}, entry {i + 1}";
            if (parts.Length == 1 && parts[0].StartsWith(Prefix, StringComparison.Ordinal))
                throw new InvalidOperationException($"{Where()} looks like a plaintext API key. Store only its hash line: `./tts key hash NAME [--admin]` reads the key and prints it.");
            if (parts.Length != 3)
                throw new InvalidOperationException($"{Where()} is not a key hash line: expected {LineFormat}.");
            if (!IsValidName(parts[0]))
                throw new InvalidOperationException($"{Where()} has an invalid name: expected {LineFormat}.");
            ApiKeyRole role = parts[1].ToLowerInvariant() switch
            {
                "client" => ApiKeyRole.Client,
                "admin" => ApiKeyRole.Admin,
                _ => throw new InvalidOperationException($"{Where()} (key '{parts[0]}') has role '{(parts[1].Length > 16 ? parts[1][..16] + "…" : parts[1])}': use client or admin."),
            };
            var hex = parts[2].StartsWith(HashScheme, StringComparison.OrdinalIgnoreCase) ? parts[2][HashScheme.Length..] : "";
            if (hex.Length != 64 || !hex.All(char.IsAsciiHexDigit))
                throw new InvalidOperationException($"{Where()} (key '{parts[0]}') has no valid hash: expected {LineFormat}.");
            if (entries.Any(e => e.Name == parts[0]))
                throw new InvalidOperationException($"{Where()}: the name '{parts[0]}' is used twice; names identify clients, so each key needs its own.");
            entries.Add(new ApiKeyEntry(parts[0], role, Convert.FromHexString(hex)));
        }
        return entries;
    }
}

using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Tts.Frontend.Auth;

namespace Orleans.Tts.Api.Tests.Auth;

public sealed class ApiKeyStoreTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("tts-keys-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A clock the test moves by hand.</summary>
    private sealed class ManualClock : TimeProvider
    {
        public long Ticks { get; set; }
        public override long GetTimestamp() => Ticks;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public void Advance(TimeSpan by) => Ticks += by.Ticks;
    }

    private static ApiKeyStore Store(string? inline, string? file, TimeProvider? clock = null) =>
        new(new ApiKeyOptions(inline, file, RequireKey: true), NullLogger<ApiKeyStore>.Instance, clock ?? TimeProvider.System);

    [Fact]
    public void Minted_keys_are_256_random_bits_and_authenticate_only_through_their_hash_line()
    {
        var a = ApiKeys.Mint();
        var b = ApiKeys.Mint();
        Assert.NotEqual(a, b);
        Assert.Matches("^tts_[A-Za-z0-9_-]{43}$", a);
        var store = Store($"{ApiKeys.HashLine("a", ApiKeyRole.Client, a)}\n# a comment\n\n{ApiKeys.HashLine("b", ApiKeyRole.Admin, b)}", null);
        Assert.Equal(("a", ApiKeyRole.Client), (store.Authenticate(a)!.Name, store.Authenticate(a)!.Role));
        Assert.Equal(("b", ApiKeyRole.Admin), (store.Authenticate(b)!.Name, store.Authenticate(b)!.Role));
        Assert.Null(store.Authenticate(ApiKeys.Mint()));
        Assert.Null(store.Authenticate(a + "x"));
        Assert.Null(store.Authenticate(""));
        Assert.DoesNotContain(a, ApiKeys.HashLine("a", ApiKeyRole.Client, a));
    }

    [Theory]
    [InlineData("alice client", "not a key hash line")]
    [InlineData("alice root sha256:0000000000000000000000000000000000000000000000000000000000000000", "use client or admin")]
    [InlineData("alice client sha256:abc", "no valid hash")]
    [InlineData("alice client md5:0000000000000000000000000000000000000000000000000000000000000000", "no valid hash")]
    [InlineData("al/../ice client sha256:0000000000000000000000000000000000000000000000000000000000000000", "invalid name")]
    public void A_bad_hash_line_stops_the_start_naming_the_entry_and_the_format(string line, string message)
    {
        var e = Assert.Throws<InvalidOperationException>(() => Store($"# keys\n{line}", null));
        Assert.Contains("TTS_API_KEYS, entry 2", e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void A_plaintext_key_pasted_as_configuration_is_refused_without_repeating_it()
    {
        var key = ApiKeys.Mint();
        var e = Assert.Throws<InvalidOperationException>(() => Store(key, null));
        Assert.Contains("looks like a plaintext API key", e.Message);
        Assert.DoesNotContain(key, e.Message);
        Assert.DoesNotContain(key[4..], e.Message);
    }

    [Fact]
    public void The_same_name_twice_is_refused_because_names_identify_clients()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Store($"{ApiKeys.HashLine("a", ApiKeyRole.Client, ApiKeys.Mint())};{ApiKeys.HashLine("a", ApiKeyRole.Admin, ApiKeys.Mint())}", null));
        Assert.Contains("used twice", e.Message);
    }

    [Fact]
    public void One_key_under_two_names_is_refused_because_it_would_be_two_clients()
    {
        var key = ApiKeys.Mint();
        var e = Assert.Throws<InvalidOperationException>(() => Store($"{ApiKeys.HashLine("a", ApiKeyRole.Client, key)};{ApiKeys.HashLine("b", ApiKeyRole.Admin, key)}", null));
        Assert.Contains("'a' and 'b' have the same hash", e.Message);
    }

    [Fact]
    public void Among_ten_thousand_keys_each_authenticates_as_its_own_name_and_a_stranger_as_nobody()
    {
        var keys = Enumerable.Range(0, 10_000).Select(i => (Name: $"svc-{i}", Key: ApiKeys.Mint())).ToList();
        var store = Store(string.Join('\n', keys.Select(k => ApiKeys.HashLine(k.Name, ApiKeyRole.Client, k.Key))), null);
        Assert.Equal(10_000, store.Count);
        foreach (var (name, key) in keys.Where((_, i) => i % 997 == 0)) Assert.Equal(name, store.Authenticate(key)?.Name);
        Assert.Null(store.Authenticate(ApiKeys.Mint()));
    }

    [Fact]
    public void An_empty_keys_file_turns_authentication_on_with_no_key_valid_so_a_missing_secret_fails_closed()
    {
        var file = Path.Combine(_dir, "empty");
        File.WriteAllText(file, "# no keys yet\n");
        var store = Store(null, file);
        Assert.True(store.Enabled);
        Assert.Equal(0, store.Count);
        Assert.Null(store.Authenticate(ApiKeys.Mint()));
    }

    [Fact]
    public void A_keys_file_that_cannot_be_read_stops_the_start_naming_the_setting()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Store(null, Path.Combine(_dir, "missing")));
        Assert.Contains("TTS_API_KEYS_FILE", e.Message);
        Assert.Contains("cannot be read", e.Message);
    }

    [Fact]
    public void A_rotated_keys_file_takes_effect_after_the_recheck_interval_and_a_broken_one_keeps_the_old_keys()
    {
        var clock = new ManualClock();
        var file = Path.Combine(_dir, "keys");
        var (oldKey, newKey) = (ApiKeys.Mint(), ApiKeys.Mint());
        File.WriteAllText(file, ApiKeys.HashLine("svc", ApiKeyRole.Client, oldKey) + "\n");
        var store = Store(null, file, clock);
        Assert.Equal("svc", store.Authenticate(oldKey)?.Name);

        File.WriteAllText(file, ApiKeys.HashLine("svc", ApiKeyRole.Client, newKey) + "\n# rotated\n");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(10));
        Assert.NotNull(store.Authenticate(oldKey)); // not rechecked yet
        clock.Advance(ApiKeyStore.RecheckInterval + TimeSpan.FromSeconds(1));
        Assert.Null(store.Authenticate(oldKey));
        Assert.Equal("svc", store.Authenticate(newKey)?.Name);

        File.WriteAllText(file, "svc client sha256:broken\n");
        File.SetLastWriteTimeUtc(file, DateTime.UtcNow.AddSeconds(20));
        clock.Advance(ApiKeyStore.RecheckInterval + TimeSpan.FromSeconds(1));
        Assert.Equal("svc", store.Authenticate(newKey)?.Name);
    }

    [Fact]
    public void Key_new_prints_a_key_and_a_hash_line_that_authenticates_it_and_key_hash_reproduces_that_line()
    {
        var (stdout, stderr) = (new StringWriter(), new StringWriter());
        Assert.Equal(0, KeyCommand.Run(["new", "billing-svc", "--admin"], new StringReader(""), stdout, stderr));
        var lines = stdout.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(2, lines.Length);
        var (key, hashLine) = (lines[0], lines[1]);
        Assert.DoesNotContain(key, hashLine);
        Assert.Equal(ApiKeyRole.Admin, Store(hashLine, null).Authenticate(key)?.Role);
        Assert.Contains("cannot be shown again", stderr.ToString());

        var again = new StringWriter();
        Assert.Equal(0, KeyCommand.Run(["hash", "billing-svc", "--admin"], new StringReader(key + "\n"), again, new StringWriter()));
        Assert.Equal(hashLine, again.ToString().Trim());
    }

    [Theory]
    [InlineData("new")]
    [InlineData("new", "bad name")]
    [InlineData("delete", "x")]
    public void Key_command_misuse_exits_2_with_the_usage(params string[] args)
    {
        var stderr = new StringWriter();
        Assert.Equal(2, KeyCommand.Run(args, new StringReader(""), new StringWriter(), stderr));
        Assert.Contains("key new NAME", stderr.ToString());
    }

    [Fact]
    public void Per_client_limits_count_a_valid_key_by_its_name_and_anonymous_requests_by_address()
    {
        var key = ApiKeys.Mint();
        var entry = new ApiKeyEntry("alice", ApiKeyRole.Client, ApiKeys.HashOf(key));
        var http = new DefaultHttpContext();
        http.Connection.RemoteIpAddress = System.Net.IPAddress.Parse("10.1.2.3");
        http.Request.Headers.Authorization = "Bearer " + key;
        http.Features.Set(new ClientIdentity(entry, Verified: true));
        Assert.Equal("key:alice", ApiKeyAuthentication.ClientId(http));

        var anonymous = new DefaultHttpContext();
        anonymous.Connection.RemoteIpAddress = System.Net.IPAddress.Parse("10.1.2.3");
        anonymous.Features.Set(ClientIdentity.Anonymous);
        Assert.Equal("ip:10.1.2.3", ApiKeyAuthentication.ClientId(anonymous));
    }
}

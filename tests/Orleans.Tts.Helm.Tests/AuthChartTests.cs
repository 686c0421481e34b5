using System.Text.Json.Nodes;

namespace Orleans.Tts.Helm.Tests;

public sealed class AuthChartTests
{
    private const string HashLine = "reporting client sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881";

    private static JsonObject TtsContainer(Manifests m, string deployment) =>
        m.Get("Deployment", deployment)["spec"]!["template"]!["spec"]!["containers"]![0]!.AsObject();

    private static string? Env(JsonObject container, string name) =>
        (string?)container["env"]!.AsArray().FirstOrDefault(e => (string?)e!["name"] == name)?["value"];

    [Fact]
    public void Without_keys_no_secret_is_rendered_and_the_pods_run_open()
    {
        var manifests = Helm.Template();
        Assert.DoesNotContain(manifests.OfKind("Secret"), s => ((string)s["metadata"]!["name"]!).EndsWith("api-keys", StringComparison.Ordinal));
        Assert.Null(Env(TtsContainer(manifests, "t-orleans-tts-silo"), "TTS_API_KEYS_FILE"));
    }

    [Fact]
    public void Hash_lines_in_values_become_a_secret_mounted_as_a_directory_in_both_tiers()
    {
        string[] sets = ["--set", "coHosted=false", "--set-json", $"auth.keys=[\"{HashLine}\"]", "--set", "auth.requireApiKey=false"];
        Helm.Lint(sets);
        var manifests = Helm.Template(sets);
        var secret = manifests.Get("Secret", "t-orleans-tts-api-keys");
        Assert.Equal(HashLine, ((string)secret["stringData"]!["api-keys"]!).Trim());
        foreach (var tier in new[] { "t-orleans-tts-silo", "t-orleans-tts-frontend" })
        {
            var container = TtsContainer(manifests, tier);
            Assert.Equal("/etc/orleans-tts/auth/api-keys", Env(container, "TTS_API_KEYS_FILE"));
            Assert.Equal("false", Env(container, "TTS_REQUIRE_API_KEY"));
            var mount = container["volumeMounts"]!.AsArray().Single(v => (string?)v!["name"] == "api-keys")!;
            Assert.True((bool)mount["readOnly"]!);
            Assert.Null(mount["subPath"]); // a subPath mount would never see a rotated Secret
            var pod = manifests.Get("Deployment", tier)["spec"]!["template"]!["spec"]!;
            Assert.Contains(pod["volumes"]!.AsArray(), v => (string?)v!["name"] == "api-keys" && (string?)v["secret"]!["secretName"] == "t-orleans-tts-api-keys");
        }
    }

    [Fact]
    public void An_existing_secret_is_mounted_and_the_chart_renders_none_of_its_own()
    {
        var manifests = Helm.Template("--set", "auth.existingSecret=tts-keys", "--set", "auth.secretKey=lines");
        Assert.DoesNotContain(manifests.OfKind("Secret"), s => ((string)s["metadata"]!["name"]!).EndsWith("api-keys", StringComparison.Ordinal));
        var container = TtsContainer(manifests, "t-orleans-tts-silo");
        Assert.Equal("/etc/orleans-tts/auth/lines", Env(container, "TTS_API_KEYS_FILE"));
        Assert.Equal("true", Env(container, "TTS_REQUIRE_API_KEY"));
    }

    [Theory]
    [InlineData("tts_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde")]
    [InlineData("reporting client tts_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789")]
    [InlineData("reporting root sha256:2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881")]
    public void A_plaintext_key_or_malformed_line_in_values_fails_the_render_with_the_expected_format(string line)
    {
        var (code, output) = Helm.Run(Helm.Binary, "", "template", "t", Helm.Chart, "--set-json", $"auth.keys=[\"{line}\"]");
        Assert.NotEqual(0, code);
        Assert.Contains("hash lines `NAME client|admin sha256:<64 hex>` only", output);
    }
}

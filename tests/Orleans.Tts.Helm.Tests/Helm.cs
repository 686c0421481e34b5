using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Orleans.Tts.Helm.Tests;

/// <summary>Runs the cached helm binary (scripts/install-helm.sh) against helm/orleans-tts; YAML → JSON through python3-yaml.</summary>
public static class Helm
{
    public static string Root { get; } = FindRoot();
    public static string Chart => Path.Combine(Root, "helm", "orleans-tts");

    public static string Binary =>
        Environment.GetEnvironmentVariable("TTS_HELM") is { Length: > 0 } helm ? helm : Path.Combine(CacheDir, "helm-4.1.4", "helm");

    /// <summary>The node_modules tree of the offline manifest validator (scripts/install-k8s-schemas.sh).</summary>
    public static string SchemaModules => Path.Combine(CacheDir, "k8s-schemas-5.1.0", "node_modules");

    private static string CacheDir =>
        Environment.GetEnvironmentVariable("TTS_CACHE_DIR") is { Length: > 0 } c ? c
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "orleans-tts");

    public static (int Code, string Output) Run(string file, string stdin, params string[] args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return (p.ExitCode, output.Result + error.Result);
    }

    public static string Lint(params string[] sets)
    {
        var (code, output) = Run(Binary, "", ["lint", "--strict", Chart, .. sets]);
        Assert.True(code == 0, output);
        return output;
    }

    /// <summary>helm template with --set/--set-json arguments; every rendered document as JSON.</summary>
    public static Manifests Template(params string[] sets)
    {
        var (code, yaml) = Run(Binary, "", ["template", "t", Chart, "--namespace", "tts", .. sets]);
        Assert.True(code == 0, yaml);
        var (pc, json) = Run("python3", yaml, "-c",
            "import sys, json, yaml; print(json.dumps([d for d in yaml.safe_load_all(sys.stdin) if d]))");
        Assert.True(pc == 0, json);
        return new Manifests(JsonNode.Parse(json)!.AsArray().Select(n => n!.AsObject()).ToList());
    }

    /// <summary>
    /// Validates manifests offline against the Kubernetes (and KEDA, prometheus-operator CRD) schemas, strictly:
    /// validate-manifests.mjs under node. Returns whether all are valid and the validator's report.
    /// </summary>
    public static (bool Valid, string Report) Validate(IEnumerable<JsonObject> manifests)
    {
        var script = Path.Combine(Root, "tests", "Orleans.Tts.Helm.Tests", "validate-manifests.mjs");
        var json = new JsonArray(manifests.Select(m => (JsonNode)m.DeepClone()).ToArray()).ToJsonString();
        var (code, report) = Run("node", json, script, SchemaModules);
        Assert.True(code is 0 or 1, $"the validator could not run (exit {code}): {report}");
        return (code == 0, report);
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Orleans.Tts.sln"))) return dir.FullName;
        throw new InvalidOperationException("Orleans.Tts.sln not found above the test binaries.");
    }
}

public sealed record Manifests(IReadOnlyList<JsonObject> All)
{
    public IEnumerable<JsonObject> OfKind(string kind) => All.Where(m => (string?)m["kind"] == kind);
    public JsonObject Get(string kind, string name) =>
        OfKind(kind).SingleOrDefault(m => (string?)m["metadata"]!["name"] == name) ?? throw new Xunit.Sdk.XunitException($"no {kind} {name}");
}

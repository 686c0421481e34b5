namespace Orleans.Tts.Helm.Tests;

/// <summary>No Docker engine here: the Dockerfile is checked for what keeps it in step with ./tts.</summary>
public sealed class ContainerImageTests
{
    private static readonly string Dockerfile = File.ReadAllText(Path.Combine(Helm.Root, "Dockerfile"));

    [Fact]
    public void The_image_installs_the_debian_packages_from_the_same_list_as_tts()
    {
        Assert.Contains("$(bash /tmp/deps.sh print runtime)", Dockerfile);
        var (code, printed) = Helm.Run("bash", "", Path.Combine(Helm.Root, "scripts", "deps.sh"), "print", "runtime");
        Assert.Equal(0, code);
        var (_, listed) = Helm.Run("bash", "", "-c", $"source '{Path.Combine(Helm.Root, "scripts", "deps.sh")}' && echo \"${{DEPS_RUNTIME_APT[@]}}\"");
        Assert.Equal(listed.Trim(), printed.Trim());
        Assert.Contains("espeak-ng", printed);
        // No package of that list is named in the Dockerfile itself, so the two cannot drift.
        foreach (var package in printed.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            Assert.DoesNotContain($" {package} ", Dockerfile);
    }

    [Fact]
    public void The_image_builds_in_stages_takes_onnx_runtime_from_the_build_and_runs_as_non_root()
    {
        Assert.Contains("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", Dockerfile);
        Assert.Contains("FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime", Dockerfile);
        // ONNX Runtime comes with the NuGet package into the publish output; no separate download or library path.
        Assert.DoesNotContain("install-onnxruntime", Dockerfile);
        Assert.DoesNotContain("TTS_ONNXRUNTIME_LIBRARY", Dockerfile);
        Assert.Contains("USER 10001:10001", Dockerfile);
        Assert.Contains("EXPOSE 8080", Dockerfile);
        Assert.True(File.Exists(Path.Combine(Helm.Root, ".dockerignore")));
    }
}

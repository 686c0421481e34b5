using System.Diagnostics;
using System.Net.Http.Json;
using Orleans.Tts.Testing;

namespace Orleans.Tts.WebUi.Tests;

/// <summary>The shared <see cref="SiloProcess"/> helper itself, against the real silo executable.</summary>
public sealed class SiloProcessTests
{
    [Fact]
    public async Task Disposing_the_silo_ends_it_and_its_engine_host_processes()
    {
        var silo = await SiloProcess.StartAsync();
        var pid = silo.ProcessId;
        // A synthesis makes sure an engine host process exists, however lazily they start.
        using (var speech = await silo.HttpClient.PostAsJsonAsync("v1/audio/speech",
                   new { model = "tts-1", input = "Hello.", voice = "espeak:en-us", response_format = "wav" }))
        {
            Assert.True(speech.IsSuccessStatusCode, $"{(int)speech.StatusCode}: {await speech.Content.ReadAsStringAsync()}");
        }
        int[] tree = [pid, .. ChildrenOf(pid)];
        Assert.True(tree.Length > 1, "the silo has no child processes to check");

        await silo.DisposeAsync();

        var deadline = Stopwatch.StartNew();
        while (tree.Any(IsRunning) && deadline.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50);
        Assert.False(tree.Any(IsRunning), $"still running after dispose: {string.Join(", ", tree.Where(IsRunning))}");
    }

    [Fact]
    public async Task Silo_that_exits_at_startup_is_reported_with_its_output()
    {
        var options = new SiloProcessOptions().WithEnvironment("TTS_PORT", "70000");

        var error = await Assert.ThrowsAsync<SiloStartException>(() => SiloProcess.StartAsync(options));

        Assert.Contains("exited with code", error.Message);
        Assert.Contains("70000", error.Output);
        Assert.Contains("--- silo output", error.Message);
    }

    [Fact]
    public void Silo_dll_and_its_runtimeconfig_are_next_to_the_tests()
    {
        var dll = SiloProcess.LocateSiloDll();

        Assert.True(File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")));
    }

    private static int[] ChildrenOf(int pid)
    {
        var tasks = $"/proc/{pid}/task";
        if (!Directory.Exists(tasks)) return [];
        return Directory.GetDirectories(tasks)
            .Select(t => Path.Combine(t, "children"))
            .Where(File.Exists)
            .SelectMany(f => File.ReadAllText(f).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Select(int.Parse)
            .ToArray();
    }

    private static bool IsRunning(int pid)
    {
        // A killed child may linger as a zombie until reaped; that is not running.
        var stat = $"/proc/{pid}/stat";
        if (!File.Exists(stat)) return false;
        try
        {
            var text = File.ReadAllText(stat);
            var state = text[(text.LastIndexOf(')') + 2)..].Split(' ')[0];
            return state is not ("Z" or "X");
        }
        catch (IOException)
        {
            return false;
        }
    }
}

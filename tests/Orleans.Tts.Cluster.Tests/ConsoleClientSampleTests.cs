using System.Diagnostics;

namespace Orleans.Tts.Cluster.Tests;

/// <summary>
/// samples/ConsoleClient as another .NET service would use the cluster: an Orleans client of a two-silo cluster found through
/// Redis, writing speech to a WAV file without any HTTP call.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ConsoleClientSampleTests(TestClusters clusters) : IAsyncLifetime
{
    private SiloProcess[] _silos = [];
    private string _clusterId = "";
    private readonly string _out = Path.Combine(Path.GetTempPath(), $"tts-sample-{Guid.NewGuid():n}.wav");

    public async Task InitializeAsync()
    {
        _clusterId = await clusters.NewAsync();
        _silos = await SiloProcess.StartManyAsync(2, i => ClusterSilo.Options($"sample{i}", _clusterId));
    }

    public async Task DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
        File.Delete(_out);
    }

    [Fact]
    public async Task The_sample_writes_speech_through_the_orleans_client_of_a_two_silo_cluster()
    {
        var dll = Path.Combine(Repository.Root, "samples", "ConsoleClient", "bin", "Release", "net10.0", "ConsoleClient.dll");
        Assert.True(File.Exists(dll), $"{dll} is built with the solution");
        var before = await ClusterSilo.SentencesPerSiloAsync(_silos);
        var start = new ProcessStartInfo(SiloProcess.DotnetHost(), [dll, "--redis", RedisServer.ConnectionString,
            "The sample asks the cluster. It answers with speech, without any HTTP call.", _out])
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false,
            Environment = { ["ORLEANS_SERVICE_ID"] = _clusterId, ["ORLEANS_CLUSTER_ID"] = _clusterId },
        };
        using var sample = Process.Start(start)!;
        var output = sample.StandardOutput.ReadToEndAsync();
        var errors = sample.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        await sample.WaitForExitAsync(deadline.Token);
        Assert.True(sample.ExitCode == 0, $"exit {sample.ExitCode}: {await output}{await errors}");

        var wav = await File.ReadAllBytesAsync(_out);
        Assert.Equal(22050, SpeechStreams.WavHeader(wav).SampleRate);
        var seconds = SpeechStreams.WavSamples(wav) / 22050.0;
        Assert.InRange(seconds, 2.0, 15.0);
        // Two sentences, synthesised by the silos (not by the client, which has no engines).
        Assert.Equal(2, (await ClusterSilo.SentencesPerSiloAsync(_silos)).Sum() - before.Sum());
    }
}

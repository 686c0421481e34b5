using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Orleans.Tts.Audio.Tests.Codecs;

/// <summary>ffmpeg/ffprobe (Debian) as an independent decoder and prober.</summary>
internal static class Ffmpeg
{
    public sealed record Decoded(int SampleRate, short[] Samples)
    {
        public double Seconds => (double)Samples.Length / SampleRate;
    }

    public sealed record Probe(string Codec, int SampleRate, int Channels, double Seconds, string FormatName);

    /// <summary>
    /// Decodes to 16-bit mono at the stream's own rate (<paramref name="rawRate"/> for headerless PCM); an error from ffmpeg
    /// fails the test, and so does, with <paramref name="warnings"/>, any warning line not containing one of <paramref name="tolerated"/>.
    /// </summary>
    public static async Task<Decoded> DecodeAsync(byte[] encoded, int? rawRate = null, bool warnings = false, params string[] tolerated)
    {
        using var file = new TempFile(encoded);
        var input = rawRate is { } r ? $"-f s16le -ar {r} -ac 1 " : "";
        var rate = rawRate ?? (await ProbeAsync(encoded)).SampleRate;
        var pcm = await RunAsync("ffmpeg", $"-hide_banner -nostdin -v {(warnings ? "warning" : "error")} {input}-i {file.Path} -f s16le -ac 1 -ar {rate} -", tolerated);
        var samples = new short[pcm.Length / 2];
        Buffer.BlockCopy(pcm, 0, samples, 0, samples.Length * 2);
        return new Decoded(rate, samples);
    }

    public static async Task<Probe> ProbeAsync(byte[] encoded)
    {
        using var file = new TempFile(encoded);
        var json = await RunAsync("ffprobe", $"-hide_banner -v error -show_streams -show_format -of json {file.Path}");
        var root = JsonDocument.Parse(json).RootElement;
        var stream = root.GetProperty("streams")[0];
        var format = root.GetProperty("format");
        var duration = stream.TryGetProperty("duration", out var d) ? d.GetString() : format.TryGetProperty("duration", out var f) ? f.GetString() : null;
        return new Probe(
            stream.GetProperty("codec_name").GetString()!,
            int.Parse(stream.GetProperty("sample_rate").GetString()!, CultureInfo.InvariantCulture),
            stream.GetProperty("channels").GetInt32(),
            duration is null ? double.NaN : double.Parse(duration, CultureInfo.InvariantCulture),
            format.GetProperty("format_name").GetString()!);
    }

    private static async Task<byte[]> RunAsync(string tool, string arguments, params string[] tolerated)
    {
        using var process = Process.Start(new ProcessStartInfo(tool, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        }) ?? throw new InvalidOperationException($"Could not start {tool}.");
        using var stdout = new MemoryStream();
        var copy = process.StandardOutput.BaseStream.CopyToAsync(stdout);
        var stderr = process.StandardError.ReadToEndAsync();
        await Task.WhenAll(copy, stderr, process.WaitForExitAsync());
        if (process.ExitCode != 0) throw new InvalidOperationException($"{tool} {arguments} exited {process.ExitCode}: {await stderr}");
        var problems = (await stderr).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !tolerated.Any(t => line.Contains(t, StringComparison.Ordinal))).ToList();
        Assert.True(problems.Count == 0, $"{tool} reported problems: {await stderr}");
        return stdout.ToArray();
    }

    private sealed class TempFile : IDisposable
    {
        public TempFile(byte[] bytes)
        {
            Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"tts-{Guid.NewGuid():N}.bin");
            File.WriteAllBytes(Path, bytes);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}

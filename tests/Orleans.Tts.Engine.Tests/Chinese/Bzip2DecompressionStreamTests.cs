using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Orleans.Tts.Synthesis.Text.Chinese;

namespace Orleans.Tts.Engine.Tests.Chinese;

public sealed class Bzip2DecompressionStreamTests
{
    // bzip2 of "U+4E2D\tkMandarin\tzhōng\n" and of "U+6587\tkMandarin\twén\n".
    private const string First = "QlpoOTFBWSZTWaGIVw4AAATfxAAwAAgUAAYCAgAk6RAQAAICACAAIoAbUaaepoUwmmgNMSzbCYyjDSiBPD30qO/xdyRThQkKGIVw4A==";
    private const string Second = "QlpoOTFBWSZTWeE0a4AAAATflAAwAAgDwAACAgAkKRCAACAIACAAIiBpmoxMhTTIxMTENyCbVXHGENE+LNV8XckU4UJDhNGuAA==";

    [Fact]
    public void Bz_stream_matches_the_x86_64_C_layout()
    {
        Assert.Equal(80, Marshal.SizeOf<BzStream>());
        Assert.Equal(0, (int)Marshal.OffsetOf<BzStream>(nameof(BzStream.NextIn)));
        Assert.Equal(8, (int)Marshal.OffsetOf<BzStream>(nameof(BzStream.AvailIn)));
        Assert.Equal(24, (int)Marshal.OffsetOf<BzStream>(nameof(BzStream.NextOut)));
        Assert.Equal(32, (int)Marshal.OffsetOf<BzStream>(nameof(BzStream.AvailOut)));
        Assert.Equal(48, (int)Marshal.OffsetOf<BzStream>(nameof(BzStream.State)));
        Assert.Equal(72, (int)Marshal.OffsetOf<BzStream>(nameof(BzStream.Opaque)));
    }

    [Fact]
    public void Decompresses_a_small_stream()
    {
        Assert.Equal("U+4E2D\tkMandarin\tzhōng\n", Decompress(Convert.FromBase64String(First)));
    }

    [Fact]
    public void Decompresses_concatenated_streams_one_after_the_other()
    {
        var data = Convert.FromBase64String(First).Concat(Convert.FromBase64String(Second)).ToArray();

        Assert.Equal("U+4E2D\tkMandarin\tzhōng\nU+6587\tkMandarin\twén\n", Decompress(data));
    }

    [Fact]
    public void Rejects_data_that_is_not_bzip2()
    {
        Assert.Throws<InvalidDataException>(() => Decompress(Encoding.ASCII.GetBytes("this is plain text, not bzip2")));
    }

    [Fact]
    public void Rejects_a_truncated_stream()
    {
        var data = Convert.FromBase64String(First);

        Assert.Throws<InvalidDataException>(() => Decompress(data[..(data.Length - 10)]));
    }

    [Fact]
    public void Inflates_the_Debian_Unihan_file_exactly_as_bzip2_does()
    {
        using var file = File.OpenRead(UnihanMandarinReadings.DebianPath);
        using var ours = new Bzip2DecompressionStream(file);
        var ourHash = SHA256.HashData(ours);

        var start = new ProcessStartInfo("bzip2") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-dc");
        start.ArgumentList.Add(UnihanMandarinReadings.DebianPath);
        using var process = Process.Start(start)!;
        var theirHash = SHA256.HashData(process.StandardOutput.BaseStream);
        process.WaitForExit();

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(Convert.ToHexString(theirHash), Convert.ToHexString(ourHash));
    }

    [Fact]
    public void Reading_after_dispose_throws()
    {
        var stream = new Bzip2DecompressionStream(new MemoryStream(Convert.FromBase64String(First)));
        stream.Dispose();

        Assert.Throws<ObjectDisposedException>(() => stream.ReadByte());
    }

    private static string Decompress(byte[] data)
    {
        using var stream = new Bzip2DecompressionStream(new MemoryStream(data));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }
}

using Orleans.Tts.Synthesis.Engines.Espeak;

namespace Orleans.Tts.Engine.Tests.Espeak;

/// <summary>Audio frames on the engine-host pipe, written from and read into <c>short[]</c> without a byte copy.</summary>
public sealed class HostFramingTests
{
    private static readonly short[] Samples = [0, 1, -1, short.MaxValue, short.MinValue, 12345, -12345];

    [Fact]
    public async Task A_pcm_frame_round_trips_as_little_endian_bytes()
    {
        using var stream = new MemoryStream();
        await HostFraming.WritePcmFrameAsync(stream, Samples, CancellationToken.None);

        var bytes = stream.ToArray();
        Assert.Equal(4 + Samples.Length * 2, bytes.Length);
        Assert.Equal(Samples.Length * 2, BitConverter.ToInt32(bytes, 0));
        Assert.Equal([0x39, 0x30], bytes[14..16]); // 12345 = 0x3039

        stream.Position = 0;
        Assert.Equal(Samples, await HostFraming.ReadPcmFrameAsync(stream, Samples.Length, CancellationToken.None));
    }

    [Fact]
    public async Task A_pcm_frame_is_read_like_any_frame()
    {
        using var stream = new MemoryStream();
        await HostFraming.WritePcmFrameAsync(stream, Samples, CancellationToken.None);
        stream.Position = 0;

        var frame = await HostFraming.ReadFrameAsync(stream, CancellationToken.None);
        Assert.Equal(Samples, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, short>(frame).ToArray());
    }

    [Fact]
    public async Task A_clean_end_of_stream_reads_as_null()
    {
        using var stream = new MemoryStream();
        Assert.Null(await HostFraming.ReadPcmFrameAsync(stream, 3, CancellationToken.None));
    }

    [Fact]
    public async Task A_frame_of_another_length_is_rejected()
    {
        using var stream = new MemoryStream();
        await HostFraming.WritePcmFrameAsync(stream, Samples, CancellationToken.None);
        stream.Position = 0;

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => HostFraming.ReadPcmFrameAsync(stream, Samples.Length + 1, CancellationToken.None).AsTask());
        Assert.Contains("length mismatch", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_frame_is_an_end_of_stream()
    {
        using var full = new MemoryStream();
        await HostFraming.WritePcmFrameAsync(full, Samples, CancellationToken.None);
        using var truncated = new MemoryStream(full.ToArray()[..^3]);

        await Assert.ThrowsAsync<EndOfStreamException>(() => HostFraming.ReadPcmFrameAsync(truncated, Samples.Length, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task A_corrupt_length_is_rejected_before_anything_is_allocated()
    {
        using var stream = new MemoryStream(BitConverter.GetBytes(-2));
        await Assert.ThrowsAsync<InvalidDataException>(() => HostFraming.ReadPcmFrameAsync(stream, 3, CancellationToken.None).AsTask());
    }
}

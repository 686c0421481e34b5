using System.Buffers;
using Orleans.Tts.Synthesis.Engines.Espeak;

namespace Orleans.Tts.Engine.Tests.Espeak;

/// <summary>Messages on the engine-host pipe: a response and its audio laid out for one write, read back by the silo's reader.</summary>
public sealed class HostFramingTests
{
    private static readonly short[] Samples = [1, -1, short.MaxValue, short.MinValue, 12345, -12345];

    private static byte[] Response(HostResponse response, int lead, short[] speech, int tail, ArrayBufferWriter<byte>? buffer = null)
    {
        using var stream = new MemoryStream();
        HostFraming.WriteResponse(stream, buffer ?? new ArrayBufferWriter<byte>(16), response, new TrimmedPcm(lead, speech, tail));
        return stream.ToArray();
    }

    [Fact]
    public async Task A_response_with_audio_reads_back_as_its_json_and_its_samples_between_the_silences()
    {
        var bytes = Response(new HostResponse(true, SampleRate: 22050, SampleCount: 2 + Samples.Length + 3), 2, Samples, 3);

        using var stream = new MemoryStream(bytes);
        var response = HostFraming.ReadJson<HostResponse>((await HostFraming.ReadFrameAsync(stream, CancellationToken.None))!);
        Assert.Equal(22050, response.SampleRate);
        var pcm = await HostFraming.ReadPcmFrameAsync(stream, response.SampleCount, CancellationToken.None);
        Assert.Equal([0, 0, .. Samples, 0, 0, 0], pcm);
        Assert.Equal(stream.Length, stream.Position);
    }

    [Fact]
    public void The_audio_is_little_endian_after_its_length()
    {
        var bytes = Response(new HostResponse(true, SampleCount: Samples.Length), 0, Samples, 0);
        var audio = bytes[(4 + BitConverter.ToInt32(bytes, 0))..];
        Assert.Equal(Samples.Length * 2, BitConverter.ToInt32(audio, 0));
        Assert.Equal([0x39, 0x30], audio[12..14]); // 12345 = 0x3039, the fifth sample
    }

    [Fact]
    public async Task A_response_without_audio_is_one_frame()
    {
        var bytes = Response(new HostResponse(false, "no voice"), 0, [], 0);

        using var stream = new MemoryStream(bytes);
        Assert.Equal("no voice", HostFraming.ReadJson<HostResponse>((await HostFraming.ReadFrameAsync(stream, CancellationToken.None))!).Error);
        Assert.Null(await HostFraming.ReadFrameAsync(stream, CancellationToken.None));
    }

    [Fact]
    public void A_reused_buffer_leaves_nothing_of_the_last_response_behind()
    {
        var buffer = new ArrayBufferWriter<byte>(16);
        Response(new HostResponse(true, SampleCount: 1 + Samples.Length), 1, Samples, 0, buffer);
        var second = Response(new HostResponse(true, SampleCount: 4), 2, [7], 1, buffer);

        Assert.Equal(Response(new HostResponse(true, SampleCount: 4), 2, [7], 1), second);
    }

    [Fact]
    public async Task The_hosts_blocking_reader_reads_what_the_silo_writes()
    {
        using var stream = new MemoryStream();
        await HostFraming.WriteJsonAsync(stream, new HostRequest("synth", [new EspeakSegment("en-us", "Hello.")]), CancellationToken.None);
        stream.Position = 0;

        var request = HostFraming.ReadJson<HostRequest>(HostFraming.ReadFrame(stream)!);
        Assert.Equal("synth", request.Op);
        Assert.Equal("Hello.", Assert.Single(request.Segments!).Text);
        Assert.Null(HostFraming.ReadFrame(stream));
    }

    [Fact]
    public void A_truncated_frame_is_an_end_of_stream_for_the_host()
    {
        using var stream = new MemoryStream([5, 0]);
        Assert.Throws<EndOfStreamException>(() => HostFraming.ReadFrame(stream));
    }

    [Fact]
    public async Task A_frame_of_another_length_is_rejected()
    {
        using var stream = new MemoryStream(Response(new HostResponse(true, SampleCount: Samples.Length), 0, Samples, 0));
        await HostFraming.ReadFrameAsync(stream, CancellationToken.None);

        var e = await Assert.ThrowsAsync<InvalidDataException>(() => HostFraming.ReadPcmFrameAsync(stream, Samples.Length + 1, CancellationToken.None).AsTask());
        Assert.Contains("length mismatch", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_audio_frame_is_an_end_of_stream()
    {
        var full = Response(new HostResponse(true, SampleCount: Samples.Length), 0, Samples, 0);
        using var truncated = new MemoryStream(full[..^3]);
        await HostFraming.ReadFrameAsync(truncated, CancellationToken.None);

        await Assert.ThrowsAsync<EndOfStreamException>(() => HostFraming.ReadPcmFrameAsync(truncated, Samples.Length, CancellationToken.None).AsTask());
    }

    [Fact]
    public async Task A_corrupt_length_is_rejected_before_anything_is_allocated()
    {
        using var stream = new MemoryStream(BitConverter.GetBytes(-2));
        await Assert.ThrowsAsync<InvalidDataException>(() => HostFraming.ReadPcmFrameAsync(stream, 3, CancellationToken.None).AsTask());
        stream.Position = 0;
        Assert.Throws<InvalidDataException>(() => HostFraming.ReadFrame(stream));
    }

    [Fact]
    public async Task A_clean_end_of_stream_reads_as_null()
    {
        using var stream = new MemoryStream();
        Assert.Null(await HostFraming.ReadPcmFrameAsync(stream, 3, CancellationToken.None));
    }
}

using System.Buffers.Binary;
using Orleans.Tts.Synthesis;
using Xunit;

namespace Orleans.Tts.Api.Tests;

/// <summary>The frontend↔silo sentence frames: what a silo writes is exactly what a frontend reads back, and a cut stream is never taken for its end.</summary>
public sealed class SentenceFrameTests
{
    private static AudioClip Ramp(int rate, int count) =>
        new(rate, Enumerable.Range(0, count).Select(i => (short)(i * 7919 % 65536 - 32768)).ToArray());

    [Fact]
    public async Task Sentences_longer_than_one_buffer_and_empty_ones_come_back_sample_for_sample_in_order()
    {
        // 5 s at 24 kHz spans several 64 KB chunks; an odd length ends mid-chunk; an empty clip is a pause of nothing.
        AudioClip[] clips = [Ramp(24000, 120_001), Ramp(22050, 0), Ramp(16000, 3)];
        using var wire = new MemoryStream();
        foreach (var clip in clips) await SentenceFrames.WriteAsync(wire, clip, CancellationToken.None);
        await SentenceFrames.WriteEndAsync(wire, CancellationToken.None);

        Assert.Equal(clips.Sum(c => 8 + c.Samples.Length * 2) + 8, wire.Length);
        // Little-endian on the wire whatever the machine: the first sample of the first clip follows its 8-byte head.
        Assert.Equal(clips[0].Samples[1], BinaryPrimitives.ReadInt16LittleEndian(wire.GetBuffer().AsSpan(10)));

        wire.Position = 0;
        var read = new List<AudioClip>();
        await foreach (var clip in SentenceFrames.ReadAsync(wire)) read.Add(clip);
        Assert.Equal(clips.Select(c => c.SampleRate), read.Select(c => c.SampleRate));
        for (var i = 0; i < clips.Length; i++) Assert.Equal(clips[i].Samples, read[i].Samples);
    }

    [Fact]
    public async Task A_stream_cut_inside_a_sentence_or_before_its_end_frame_fails_instead_of_ending_short()
    {
        using var wire = new MemoryStream();
        await SentenceFrames.WriteAsync(wire, Ramp(24000, 50_000), CancellationToken.None);
        var whole = wire.ToArray();

        foreach (var cut in new[] { whole.Length - 1, whole.Length / 2, whole.Length })
        {
            using var partial = new MemoryStream(whole, 0, cut);
            await Assert.ThrowsAsync<EndOfStreamException>(async () =>
            {
                await foreach (var _ in SentenceFrames.ReadAsync(partial)) { }
            });
        }
    }

    [Fact]
    public async Task A_frame_announcing_an_impossible_size_is_rejected_before_anything_is_allocated()
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32LittleEndian(head, 24000);
        BinaryPrimitives.WriteInt32LittleEndian(head.AsSpan(4), int.MaxValue);
        var error = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var _ in SentenceFrames.ReadAsync(new MemoryStream(head))) { }
        });
        Assert.Contains("Bad sentence frame", error.Message);
    }
}

using System.Buffers;
using Orleans.Tts.Audio.Codecs;

namespace Orleans.Tts.Audio.Tests.Codecs;

public class PackedPcmTests
{
    [Fact]
    public void Samples_unpack_exactly_including_full_scale_jumps_and_lengths_around_the_chunk_size()
    {
        var random = new Random(3);
        foreach (var length in new[] { 0, 1, 4095, 4096, 4097, 50_000 })
        {
            // Speech-like (small steps) with full-scale jumps, whose differences wrap around 16 bits.
            var samples = Enumerable.Range(0, length).Select(i => i % 997 == 5 ? (i % 2 == 0 ? short.MaxValue : short.MinValue)
                : (short)(8000 * Math.Sin(i / 7.0) + random.Next(-40, 40))).ToArray();
            var packed = new ArrayBufferWriter<byte>();
            var written = PackedPcm.Pack(samples, packed);
            Assert.Equal(packed.WrittenCount, written);
            var back = new short[length];
            PackedPcm.Unpack(packed.WrittenSpan, back);
            Assert.Equal(samples, back);
            if (length == 50_000) Assert.True(packed.WrittenCount < length * 2 * 0.9, $"100,000 bytes of PCM packed into {packed.WrittenCount}");
        }
    }

    [Fact]
    public void Bytes_that_are_not_a_packing_of_the_asked_number_of_samples_are_invalid_data()
    {
        var samples = Enumerable.Range(0, 10_000).Select(i => (short)(5000 * Math.Sin(i / 9.0))).ToArray();
        var packed = new ArrayBufferWriter<byte>();
        PackedPcm.Pack(samples, packed);
        var bytes = packed.WrittenSpan.ToArray();

        Assert.Throws<InvalidDataException>(() => PackedPcm.Unpack(bytes, new short[9_999]));   // more samples than asked
        Assert.Throws<InvalidDataException>(() => PackedPcm.Unpack(bytes, new short[10_001]));  // fewer
        Assert.Throws<InvalidDataException>(() => PackedPcm.Unpack(bytes[..^3], new short[10_000]));  // cut short
        Assert.Throws<InvalidDataException>(() => PackedPcm.Unpack([.. bytes, 0], new short[10_000])); // trailing bytes
        Assert.Throws<InvalidDataException>(() => PackedPcm.Unpack(new byte[64], new short[10_000]));  // not Brotli
    }
}

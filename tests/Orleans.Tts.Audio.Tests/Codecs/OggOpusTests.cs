using System.Buffers.Binary;
using System.Text;
using Orleans.Tts.Audio.Codecs;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Audio.Tests.Codecs;

public class OggOpusTests
{
    private sealed record Page(byte Flags, long Granule, uint Serial, uint Sequence, uint Crc, uint ComputedCrc, List<byte[]> Packets);

    private static AudioClip Tone(int sampleRate, double seconds) =>
        new(sampleRate, Signals.ToPcm(Signals.Sine(330, sampleRate, (int)(seconds * sampleRate) + 11, 6000)));

    [Fact]
    public void The_ogg_crc_is_crc32_with_polynomial_04c11db7_unreflected_and_zero_initialised()
    {
        Assert.Equal(0x89A1897Fu, OggPageWriter.Crc("123456789"u8));
    }

    [Fact]
    public async Task Ffprobe_reports_opus_at_48_khz_mono_with_the_input_duration()
    {
        var clip = Tone(22050, 2.5);
        var probe = await Ffmpeg.ProbeAsync(AudioEncoders.Encode(clip, "opus"));
        Assert.Equal("opus", probe.Codec);
        Assert.Equal("ogg", probe.FormatName);
        Assert.Equal(48000, probe.SampleRate);
        Assert.Equal(1, probe.Channels);
        Assert.InRange(probe.Seconds, clip.Duration.TotalSeconds - 0.021, clip.Duration.TotalSeconds + 0.021);
    }

    [Fact]
    public void Pages_carry_valid_crcs_sequence_numbers_and_one_serial_from_bos_to_eos()
    {
        var pages = Parse(AudioEncoders.Encode(Tone(24000, 3.3), "opus"));

        Assert.All(pages, p => Assert.Equal(p.ComputedCrc, p.Crc));
        Assert.Equal(Enumerable.Range(0, pages.Count).Select(i => (uint)i), pages.Select(p => p.Sequence));
        Assert.Single(pages.Select(p => p.Serial).Distinct());
        Assert.Equal(0x02, pages[0].Flags);
        Assert.Equal(0x04, pages[^1].Flags);
        Assert.All(pages.Skip(1).SkipLast(1), p => Assert.Equal(0, p.Flags));
    }

    [Fact]
    public void Opus_head_and_tags_follow_rfc_7845_with_the_encoder_lookahead_as_pre_skip()
    {
        using var encoder = new OpusEncoder(24000);
        var pages = Parse(AudioEncoders.Encode(Tone(24000, 0.5), "opus"));

        var head = Assert.Single(pages[0].Packets);
        Assert.Equal("OpusHead", Encoding.ASCII.GetString(head, 0, 8));
        Assert.Equal(19, head.Length);
        Assert.Equal(1, head[8]);  // version
        Assert.Equal(1, head[9]);  // channels
        Assert.Equal(encoder.PreSkip, BinaryPrimitives.ReadUInt16LittleEndian(head.AsSpan(10)));
        Assert.InRange(encoder.PreSkip, 120, 960);
        Assert.Equal(24000u, BinaryPrimitives.ReadUInt32LittleEndian(head.AsSpan(12)));
        Assert.Equal(0, head[18]); // mapping family
        Assert.Equal(0, pages[0].Granule);

        var tags = Assert.Single(pages[1].Packets);
        Assert.Equal("OpusTags", Encoding.ASCII.GetString(tags, 0, 8));
        var vendorLength = (int)BinaryPrimitives.ReadUInt32LittleEndian(tags.AsSpan(8));
        Assert.StartsWith("libopus", Encoding.UTF8.GetString(tags, 12, vendorLength));
        Assert.Equal(0, pages[1].Granule);
    }

    [Fact]
    public void Granule_positions_count_48_khz_samples_and_the_last_one_trims_to_pre_skip_plus_the_input()
    {
        const int rate = 16000;
        var clip = Tone(rate, 2.7);
        using var encoder = new OpusEncoder(rate);
        var pages = Parse(AudioEncoders.Encode(clip, "opus"));
        var audio = pages.Skip(2).ToList();

        var packets = 0L;
        foreach (var page in audio.SkipLast(1))
        {
            packets += page.Packets.Count;
            Assert.Equal(packets * OpusEncoder.FrameSamples, page.Granule);
        }
        packets += audio[^1].Packets.Count;
        var input48 = Resampler.OutputLength(clip.Samples.Length, rate, 48000);
        Assert.Equal(encoder.PreSkip + input48, audio[^1].Granule);
        Assert.InRange(packets * OpusEncoder.FrameSamples - audio[^1].Granule, 0, OpusEncoder.FrameSamples - 1);
    }

    [Fact]
    public void Each_write_of_a_sentence_emits_a_page_so_a_stream_can_be_played_as_it_arrives()
    {
        using var encoder = new OpusEncoder(24000);
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        var sentence = Tone(24000, 0.8).Samples;
        encoder.Write(sentence, output);
        var afterFirst = Parse(output.WrittenSpan.ToArray());
        Assert.Equal(3, afterFirst.Count); // OpusHead, OpusTags, the sentence's frames but the newest
        // 0.8 s is 40 frames; the resampler's look-ahead leaves the 40th incomplete and the 39th is held back.
        Assert.Equal(38, afterFirst[2].Packets.Count);
    }

    private static List<Page> Parse(byte[] stream)
    {
        var pages = new List<Page>();
        var pending = new List<byte>();
        var packets = new List<byte[]>();
        for (var at = 0; at < stream.Length;)
        {
            var span = stream.AsSpan(at);
            Assert.Equal("OggS", Encoding.ASCII.GetString(span[..4]));
            var segments = span[26];
            var bodyLength = 0;
            for (var i = 0; i < segments; i++) bodyLength += span[27 + i];
            var length = 27 + segments + bodyLength;
            var copy = span[..length].ToArray();
            BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(22), 0);
            var body = 27 + segments;
            packets = [];
            for (var i = 0; i < segments; i++)
            {
                pending.AddRange(span.Slice(body, span[27 + i]).ToArray());
                body += span[27 + i];
                if (span[27 + i] < 255)
                {
                    packets.Add(pending.ToArray());
                    pending.Clear();
                }
            }
            pages.Add(new Page(span[5], BinaryPrimitives.ReadInt64LittleEndian(span[6..]), BinaryPrimitives.ReadUInt32LittleEndian(span[14..]),
                BinaryPrimitives.ReadUInt32LittleEndian(span[18..]), BinaryPrimitives.ReadUInt32LittleEndian(span[22..]), OggPageWriter.Crc(copy), packets));
            at += length;
        }
        Assert.Empty(pending);
        return pages;
    }
}

using System.Buffers;
using Orleans.Tts.Audio.Codecs;
using Orleans.Tts.Synthesis;
using Xunit.Abstractions;

namespace Orleans.Tts.Audio.Tests.Codecs;

public class EncoderTests(ITestOutputHelper log)
{
    /// <summary>Voiced-speech stand-in: a 140 Hz harmonic series under a 4 Hz syllable envelope, with pauses.</summary>
    private static AudioClip Speechlike(int sampleRate, double seconds)
    {
        var length = (int)(seconds * sampleRate) + 37; // not a whole number of codec frames
        var samples = new short[length];
        for (var n = 0; n < length; n++)
        {
            var t = (double)n / sampleRate;
            var envelope = Math.Max(0, Math.Sin(2 * Math.PI * 4 * t));
            var voiced = 0.0;
            for (var h = 1; h <= 12; h++) voiced += Math.Sin(2 * Math.PI * 140 * h * t + h) / h;
            samples[n] = (short)Math.Round(5000 * envelope * voiced);
        }
        return new AudioClip(sampleRate, samples);
    }

    /// <summary>Samples of slack in decoded length: a frame or two of the codec at its rate, in input seconds.</summary>
    private static double ToleranceSeconds(string format, int decodedRate) => format switch
    {
        "mp3" => 2 * 1152.0 / decodedRate,
        "opus" => 0.040,
        // ADTS has no gapless info: the decoder also plays the encoder's 1024-sample priming and the last frame's padding.
        "aac" => 3 * 1024.0 / decodedRate,
        _ => 1.5 / decodedRate,
    };

    public static TheoryData<string, int> FormatsAndRates()
    {
        var data = new TheoryData<string, int>();
        foreach (var format in new[] { "mp3", "opus", "aac", "flac", "wav" })
            foreach (var rate in new[] { 22050, 24000, 16000, 44100 })
                data.Add(format, rate);
        data.Add("mp3", 19000); // not an MP3 rate: resampled to 22050
        data.Add("opus", 19000);
        data.Add("aac", 19000); // no ADTS rate index: resampled to 24000
        return data;
    }

    [Theory]
    [MemberData(nameof(FormatsAndRates))]
    public async Task Every_format_decodes_with_ffmpeg_to_the_same_duration_and_level(string format, int rate)
    {
        var clip = Speechlike(rate, 2.3);
        var decoded = await Ffmpeg.DecodeAsync(AudioEncoders.Encode(clip, format));

        Assert.InRange(decoded.Seconds, clip.Duration.TotalSeconds - ToleranceSeconds(format, decoded.SampleRate),
            clip.Duration.TotalSeconds + ToleranceSeconds(format, decoded.SampleRate));
        var levelDb = Signals.Db(Signals.Rms(Signals.ToDouble(decoded.Samples)) / Signals.Rms(Signals.ToDouble(clip.Samples)));
        log.WriteLine($"{format} {rate} Hz: decoded at {decoded.SampleRate} Hz, {1000 * (decoded.Seconds - clip.Duration.TotalSeconds):+0.00;-0.00;0.00} ms, {levelDb:+0.00;-0.00} dB");
        Assert.InRange(levelDb, -1.0, 1.0);
    }

    [Fact]
    public async Task Pcm_is_headerless_16_bit_at_24_khz_whatever_the_voice_rate()
    {
        var clip = Speechlike(22050, 1.7);
        var bytes = AudioEncoders.Encode(clip, "pcm");
        Assert.Equal(Resampler.OutputLength(clip.Samples.Length, 22050, 24000) * 2, bytes.Length);
        var decoded = await Ffmpeg.DecodeAsync(bytes, rawRate: 24000);
        var levelDb = Signals.Db(Signals.Rms(Signals.ToDouble(decoded.Samples)) / Signals.Rms(Signals.ToDouble(clip.Samples)));
        Assert.InRange(levelDb, -0.2, 0.2);
    }

    [Theory]
    [InlineData("mp3")]
    [InlineData("opus")]
    [InlineData("flac")]
    [InlineData("wav")]
    [InlineData("pcm")]
    public async Task Encoding_in_many_small_chunks_decodes_to_the_same_length_as_encoding_in_one_go(string format)
    {
        var clip = Speechlike(22050, 2.1);
        var whole = await DecodeAsync(format, AudioEncoders.Encode(clip, format));

        var random = new Random(7);
        using var encoder = AudioEncoders.Create(format, clip.SampleRate);
        var output = new ArrayBufferWriter<byte>();
        var chunkOutputs = 0;
        for (var at = 0; at < clip.Samples.Length;)
        {
            var n = Math.Min(random.Next(1, 1500), clip.Samples.Length - at);
            var before = output.WrittenCount;
            encoder.Write(clip.Samples.AsSpan(at, n), output);
            if (output.WrittenCount > before) chunkOutputs++;
            at += n;
        }
        encoder.Complete(output);
        var streamed = output.WrittenSpan.ToArray();
        foreach (var patch in encoder.Patches) patch.Bytes.CopyTo(streamed, patch.Offset);

        Assert.True(chunkOutputs > 10, $"The encoder emitted bytes during only {chunkOutputs} of the writes.");
        Assert.Equal(whole.Samples.Length, (await DecodeAsync(format, streamed)).Samples.Length);
    }

    // Not opus: every Ogg stream gets a random serial number (and page CRCs over it), so no two opus files are the same bytes;
    // that chunked opus decodes to the same length is checked above.
    [Theory]
    [InlineData("mp3")]
    [InlineData("flac")]
    [InlineData("wav")]
    [InlineData("pcm")]
    public void A_file_encoded_sentence_by_sentence_as_they_arrive_is_byte_for_byte_the_file_encoded_from_the_joined_audio(string format)
    {
        var clip = Speechlike(22050, 2.1);
        var whole = AudioEncoders.Encode(clip, format);

        using var file = new WholeFileEncoder(format);
        // Three "sentences" of uneven length, none a multiple of a codec frame.
        foreach (var (start, length) in new[] { (0, 12_345), (12_345, 20_001), (32_346, clip.Samples.Length - 32_346) })
            file.Add(new AudioClip(clip.SampleRate, clip.Samples.AsSpan(start, length).ToArray()));

        Assert.Equal(whole, file.Finish(clip.SampleRate));
        Assert.Equal(clip.Duration.TotalSeconds, file.Seconds, 6);
    }

    /// <summary>One sentence, the usual request: for WAV the file is the encoder's own buffer, sized for the clip at once.</summary>
    [Theory]
    [InlineData("mp3")]
    [InlineData("flac")]
    [InlineData("wav")]
    [InlineData("pcm")]
    public void A_one_sentence_file_is_byte_for_byte_the_file_encoded_from_its_clip(string format)
    {
        var clip = Speechlike(22050, 1.3);
        using var file = new WholeFileEncoder(format);
        file.Add(clip);

        Assert.Equal(AudioEncoders.Encode(clip, format), file.Finish(clip.SampleRate));
        Assert.Throws<InvalidOperationException>(() => file.Finish(clip.SampleRate));
    }

    [Theory]
    [InlineData("mp3")]
    [InlineData("opus")]
    [InlineData("flac")]
    [InlineData("wav")]
    public async Task A_stream_sent_as_it_is_produced_without_its_header_patches_still_decodes(string format)
    {
        var clip = Speechlike(24000, 1.5);
        using var encoder = AudioEncoders.Create(format, clip.SampleRate);
        var output = new ArrayBufferWriter<byte>();
        foreach (var chunk in clip.Samples.Chunk(4000)) encoder.Write(chunk, output);
        encoder.Complete(output);

        var decoded = await Ffmpeg.DecodeAsync(output.WrittenSpan.ToArray());
        // Unpatched MP3 keeps LAME's encoder delay and padding and the silent Info-tag placeholder: at most ~3 frames more.
        Assert.InRange(decoded.Seconds, clip.Duration.TotalSeconds - 0.04, clip.Duration.TotalSeconds + 0.15);
    }

    public static TheoryData<string, int> StreamFormsAndRates()
    {
        var data = new TheoryData<string, int>();
        foreach (var format in new[] { "mp3", "opus", "aac", "flac", "wav", "pcm" }) data.Add(format, 22050);
        foreach (var rate in new[] { 8000, 16000, 24000, 44100, 48000, 19000 }) data.Add("mp3", rate); // MPEG-2.5, 2 and 1 frame sizes
        data.Add("flac", 44100);
        data.Add("wav", 16000);
        return data;
    }

    /// <summary>A stream served from the cache is sent as <see cref="AudioEncoders.Streamed"/> of the cached whole file.</summary>
    [Theory]
    [MemberData(nameof(StreamFormsAndRates))]
    public void The_stream_form_of_a_whole_file_is_byte_for_byte_what_a_stream_of_it_sent(string format, int rate)
    {
        var clip = Speechlike(rate, 2.1);
        using var file = new WholeFileEncoder(format);
        var streamed = new List<byte>();
        var cut = new[] { 0, clip.Samples.Length / 3 + 11, clip.Samples.Length * 3 / 4, clip.Samples.Length };
        for (var i = 0; i < 3; i++)
        {
            file.Add(new AudioClip(rate, clip.Samples[cut[i]..cut[i + 1]]));
            streamed.AddRange(file.TakeNew());
        }
        var whole = file.Finish(rate);
        streamed.AddRange(file.TakeNew());

        Assert.Equal(whole.Length, streamed.Count);
        // WAV, MP3 and FLAC patch their headers at the end, so the whole file differs from the stream; opus, aac and pcm do not.
        Assert.Equal(format is "opus" or "aac" or "pcm", whole.AsSpan().SequenceEqual(streamed.ToArray()));
        Assert.Equal(streamed.ToArray(), AudioEncoders.Streamed(format, whole));
    }

    /// <summary>
    /// What a stream cannot have: a WAV header with real sizes, FLAC's sample count and MD5, MP3's Info tag. Each is allowed
    /// to be unknown, and ffmpeg at warning level decodes the streams with no complaint but that the length is unknown (WAV:
    /// the 0xFFFFFFFF size, which ffmpeg itself writes to a pipe, and a short last read it flags; MP3: duration estimated from
    /// the bitrate): FLAC and WAV to exactly the samples, MP3 to the samples plus LAME's encoder delay and padding and the silent
    /// placeholder frame, Opus to the exact length (its last page's granule position is written as the stream ends).
    /// </summary>
    [Theory]
    [InlineData("mp3", 24000)]
    [InlineData("mp3", 44100)]
    [InlineData("flac", 22050)]
    [InlineData("wav", 22050)]
    [InlineData("opus", 22050)]
    [InlineData("aac", 22050)]
    public async Task A_stream_without_its_end_of_file_header_decodes_with_no_warning_but_the_unknown_length(string format, int rate)
    {
        var clip = Speechlike(rate, 1.9);
        using var file = new WholeFileEncoder(format, keepWhole: false);
        var streamed = new List<byte>();
        foreach (var chunk in clip.Samples.Chunk(5000))
        {
            file.Add(new AudioClip(rate, chunk));
            streamed.AddRange(file.TakeNew());
        }
        file.Complete(rate);
        streamed.AddRange(file.TakeNew());

        var decoded = await Ffmpeg.DecodeAsync([.. streamed], null, true, format switch
        {
            "wav" => ["Ignoring maximum wav data size", "Packet corrupt (stream = 0, dts = NOPTS)", "corrupt input packet in stream 0",
                "Estimating duration from bitrate", "Guessed Channel Layout"],
            "mp3" or "aac" => ["Estimating duration from bitrate"],
            _ => [],
        });
        switch (format)
        {
            case "flac" or "wav":
                Assert.Equal(clip.Samples, decoded.Samples);
                break;
            case "mp3":
                var frame = rate >= 32000 ? 1152 : 576;
                // LAME's delay (576 + 529 samples) and padding, plus the placeholder frame: between 1 and 4 frames more.
                Assert.InRange(decoded.Samples.Length, clip.Samples.Length + frame, clip.Samples.Length + 4 * frame + 1105);
                break;
            case "aac":
                // The encoder's 1024-sample priming frame and the last frame's padding.
                Assert.InRange(decoded.Samples.Length, clip.Samples.Length + 1024, clip.Samples.Length + 3 * 1024);
                break;
            default:
                Assert.InRange(decoded.Seconds, clip.Duration.TotalSeconds - 0.001, clip.Duration.TotalSeconds + 0.001);
                break;
        }
    }

    [Fact]
    public void Mp3_uses_the_voice_rate_when_mp3_has_it_and_the_next_higher_rate_otherwise()
    {
        using var at24 = new Mp3Encoder(24000);
        using var at19 = new Mp3Encoder(19000);
        using var at96 = new Mp3Encoder(96000);
        Assert.Equal(24000, at24.OutputSampleRate);
        Assert.Equal(22050, at19.OutputSampleRate);
        Assert.Equal(48000, at96.OutputSampleRate);
    }

    [Fact]
    public async Task Mp3_is_64_kbps_mono_by_default()
    {
        var bytes = AudioEncoders.Encode(Speechlike(24000, 3), "mp3");
        var probe = await Ffmpeg.ProbeAsync(bytes);
        Assert.Equal("mp3", probe.Codec);
        Assert.Equal(1, probe.Channels);
        var kbps = bytes.Length * 8 / probe.Seconds / 1000;
        Assert.InRange(kbps, 60, 70);
    }

    [Fact]
    public async Task Flac_is_lossless()
    {
        var clip = Speechlike(22050, 1.2);
        var decoded = await Ffmpeg.DecodeAsync(AudioEncoders.Encode(clip, "flac"));
        Assert.Equal(clip.Samples, decoded.Samples);
    }

    private static Task<Ffmpeg.Decoded> DecodeAsync(string format, byte[] bytes) =>
        Ffmpeg.DecodeAsync(bytes, format == "pcm" ? AudioEncoders.PcmSampleRate : null);
}

public class EncoderCatalogueTests
{
    [Theory]
    [InlineData("mp3", "audio/mpeg")]
    [InlineData("opus", "audio/opus")]
    [InlineData("flac", "audio/flac")]
    [InlineData("aac", "audio/aac")]
    [InlineData("wav", "audio/wav")]
    [InlineData("pcm", "audio/pcm")]
    public void Each_format_has_an_encoder_with_openais_media_type(string format, string contentType)
    {
        using var encoder = AudioEncoders.Create(format, 22050);
        Assert.Equal(format, encoder.Format);
        Assert.Equal(contentType, encoder.ContentType);
        Assert.Equal(22050, encoder.InputSampleRate);
    }

    /// <summary>Players of a stream find each frame by its ADTS header: every frame has one, and their lengths chain over the file.</summary>
    [Theory]
    [InlineData(22050, 7)]
    [InlineData(24000, 6)]
    [InlineData(16000, 8)]
    [InlineData(19000, 6)]
    public void Aac_is_a_chain_of_adts_frames_of_aac_lc_mono_at_the_voice_rate(int rate, int rateIndex)
    {
        var samples = (int)(rate * 1.7);
        var file = AudioEncoders.Encode(new AudioClip(rate, Enumerable.Range(0, samples).Select(i => (short)(8000 * Math.Sin(i * 0.05))).ToArray()), "aac");
        var frames = 0;
        for (var at = 0; at < file.Length; frames++)
        {
            Assert.True(file.Length - at >= 7, $"a truncated header at byte {at}");
            Assert.Equal((0xFF, 0xF1), (file[at], file[at + 1]));          // sync, MPEG-4, no CRC
            Assert.Equal(1, file[at + 2] >> 6);                            // AAC-LC
            Assert.Equal(rateIndex, (file[at + 2] >> 2) & 0xF);
            Assert.Equal(1, ((file[at + 2] & 1) << 2) | (file[at + 3] >> 6)); // one channel
            var length = ((file[at + 3] & 3) << 11) | (file[at + 4] << 3) | (file[at + 5] >> 5);
            Assert.InRange(length, 8, 6144);
            at += length;
            Assert.True(at <= file.Length, "the last frame runs past the end of the file");
        }
        var coded = rate == 19000 ? samples * 24000 / 19000 : samples;
        Assert.InRange(frames, coded / 1024 + 1, coded / 1024 + 3); // priming frame and padding
    }

    [Fact]
    public void Unknown_formats_have_no_encoder()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => AudioEncoders.Create("ogg", 22050));
    }
}

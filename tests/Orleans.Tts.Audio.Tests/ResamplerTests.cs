using Orleans.Tts.Audio;

namespace Orleans.Tts.Audio.Tests;

public sealed class ResamplerTests
{
    [Theory]
    [InlineData(22050, 24000)]
    [InlineData(24000, 22050)]
    [InlineData(16000, 48000)]
    [InlineData(44100, 8000)]
    [InlineData(48000, 44100)]
    [InlineData(44101, 48000)] // L = 48000: too many phases for a row each, exercises interpolated rows
    public void A_1kHz_sine_keeps_its_frequency_and_amplitude(int from, int to)
    {
        const double amplitude = 0.5;
        var input = Signals.Sine(1000, from, from, amplitude);

        var output = Signals.Middle(Signals.ToDouble(Resampler.Resample(input, from, to)));

        Assert.InRange(Signals.ZeroCrossingFrequency(output, to), 999.5, 1000.5);
        Assert.InRange(Signals.Db(Signals.Amplitude(output, 1000, to) / amplitude), -0.1, 0.1);
    }

    [Fact]
    public void A_1kHz_sine_in_pcm_keeps_its_frequency_and_amplitude()
    {
        const double amplitude = 20000;
        var input = Signals.ToPcm(Signals.Sine(1000, 22050, 22050, amplitude));

        var output = Signals.Middle(Signals.ToDouble(Resampler.Resample(input, 22050, 24000)));

        Assert.InRange(Signals.ZeroCrossingFrequency(output, 24000), 999.5, 1000.5);
        Assert.InRange(Signals.Db(Signals.Amplitude(output, 1000, 24000) / amplitude), -0.1, 0.1);
    }

    [Fact]
    public void A_tone_above_the_new_nyquist_is_removed_instead_of_aliased()
    {
        // 10 kHz at 16 kHz output would alias to 6 kHz.
        var input = Signals.Sine(10_000, 24000, 24000, 0.5);

        var output = Signals.Middle(Signals.ToDouble(Resampler.Resample(input, 24000, 16000)));

        Assert.True(Signals.Db(Signals.Rms(output) / Signals.Rms(Signals.ToDouble(input))) <= -60,
            $"alias level {Signals.Db(Signals.Rms(output) / Signals.Rms(Signals.ToDouble(input))):F1} dB");
        Assert.True(Signals.Amplitude(output, 6000, 16000) < 0.5e-3);
    }

    [Fact]
    public void A_tone_inside_the_new_band_passes_the_same_downsampler()
    {
        var input = Signals.Sine(3000, 24000, 24000, 0.5);

        var output = Signals.Middle(Signals.ToDouble(Resampler.Resample(input, 24000, 16000)));

        Assert.InRange(Signals.Db(Signals.Amplitude(output, 3000, 16000) / 0.5), -0.1, 0.1);
    }

    [Theory]
    [InlineData(22050, 24000)]
    [InlineData(24000, 22050)]
    [InlineData(16000, 48000)]
    [InlineData(44100, 8000)]
    public void Dc_level_is_preserved(int from, int to)
    {
        var input = Enumerable.Repeat(0.25f, from / 2).ToArray();

        var output = Signals.Middle(Signals.ToDouble(Resampler.Resample(input, from, to)));

        Assert.All(output, s => Assert.InRange(s, 0.25 - 1e-5, 0.25 + 1e-5));
    }

    [Fact]
    public void Dc_level_is_preserved_exactly_in_pcm()
    {
        var input = Enumerable.Repeat((short)-12345, 22050).ToArray();

        var output = Resampler.Resample(input, 22050, 24000);

        Assert.All(Signals.Middle(Signals.ToDouble(output)), s => Assert.Equal(-12345, s));
    }

    [Theory]
    [InlineData(0, 22050, 24000, 0)]
    [InlineData(1, 22050, 24000, 1)]
    [InlineData(7, 24000, 22050, 6)]      // 6.43
    [InlineData(147, 22050, 24000, 160)]
    [InlineData(1000, 22050, 24000, 1088)] // 1088.43
    [InlineData(1000, 16000, 48000, 3000)]
    [InlineData(1001, 44100, 8000, 182)]  // 181.59
    [InlineData(11, 48000, 16000, 4)]     // 3.67
    [InlineData(3, 48000, 16000, 1)]      // exactly 1
    [InlineData(1, 48000, 16000, 0)]      // 0.33
    [InlineData(9, 24000, 16000, 6)]
    public void Output_length_is_the_rounded_rate_ratio(int length, int from, int to, int expected)
    {
        Assert.Equal(expected, Resampler.Resample(new float[length], from, to).Length);
        Assert.Equal(expected, Resampler.Resample(new short[length], from, to).Length);
    }

    [Fact]
    public void Equal_rates_are_an_identity_copy()
    {
        short[] input = [1, -2, 3, short.MaxValue, short.MinValue];

        var output = Resampler.Resample(input, 24000, 24000);

        Assert.Equal(input, output);
        Assert.NotSame(input, output);
    }

    [Theory]
    [InlineData(22050, 24000)]
    [InlineData(16000, 48000)]
    public void Full_scale_pcm_saturates_instead_of_wrapping(int from, int to)
    {
        // A full-scale square wave: band-limiting it overshoots (Gibbs) beyond the 16-bit range.
        const int halfPeriod = 21;
        var input = Enumerable.Range(0, from).Select(n => n / halfPeriod % 2 == 0 ? short.MaxValue : short.MinValue).ToArray();

        var output = Resampler.Resample(input, from, to);

        Assert.Equal(short.MaxValue, output.Max());
        Assert.Equal(short.MinValue, output.Min());
        for (var n = 0; n < output.Length; n++)
        {
            var position = (double)n * from / to; // in input samples
            var sinceEdge = (position + 0.5) % halfPeriod; // edges lie halfway between input samples
            var nearEdge = sinceEdge < 1 || sinceEdge > halfPeriod - 1;
            if (nearEdge || position < halfPeriod || position > input.Length - halfPeriod)
                continue;
            var high = (int)((position + 0.5) / halfPeriod) % 2 == 0;
            Assert.True(high ? output[n] > 16000 : output[n] < -16000, $"sample {n} = {output[n]} (expected {(high ? "high" : "low")})");
        }
    }

    [Fact]
    public void Non_positive_rates_are_rejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resample(new short[4], 0, 16000));
        Assert.Throws<ArgumentOutOfRangeException>(() => Resampler.Resample(new float[4], 16000, -1));
    }
}

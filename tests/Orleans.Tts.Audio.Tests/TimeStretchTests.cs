using Orleans.Tts.Audio;

namespace Orleans.Tts.Audio.Tests;

public sealed class TimeStretchTests
{
    private const int Rate = 16000;

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.457)]
    [InlineData(0.5)]
    [InlineData(0.8)]
    [InlineData(1.0)]
    [InlineData(1.3)]
    [InlineData(2.0)]
    [InlineData(4.0)]
    public void Output_duration_is_factor_times_input(double factor)
    {
        var input = Signals.ToPcm(Signals.Sine(200, Rate, Rate, 10000));

        var output = TimeStretch.Stretch(input, Rate, factor);

        Assert.InRange(output.Length, factor * input.Length * 0.98, factor * input.Length * 1.02);
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(0.5)]
    [InlineData(4.0)]
    [InlineData(0.25)]
    public void A_sustained_200Hz_tone_keeps_its_pitch_and_level(double factor)
    {
        var input = Signals.ToPcm(Signals.Sine(200, Rate, Rate, 10000));

        var output = Signals.Middle(Signals.ToDouble(TimeStretch.Stretch(input, Rate, factor)), 0.1);

        Assert.InRange(Signals.ZeroCrossingFrequency(output, Rate), 196, 204);
        Assert.InRange(Signals.Db(Signals.Rms(output) / Signals.Rms(Signals.Middle(Signals.ToDouble(input), 0.1))), -1.5, 1.5);
    }

    [Theory]
    [InlineData(2.0, 24000)]
    [InlineData(0.5, 24000)]
    [InlineData(2.0, 22050)]
    public void A_harmonic_voice_like_tone_keeps_its_pitch_and_level(double factor, int rate)
    {
        // 110 Hz fundamental with decaying harmonics at mixed phases, like a voiced vowel.
        var input = new float[rate];
        for (var h = 1; h <= 12; h++)
        {
            var harmonic = Signals.Sine(110 * h, rate, rate, 6000.0 / h, phase: h * 0.7);
            for (var n = 0; n < rate; n++)
                input[n] += harmonic[n];
        }
        var pcm = Signals.ToPcm(input);

        var output = Signals.Middle(Signals.ToDouble(TimeStretch.Stretch(pcm, rate, factor)), 0.1);

        Assert.InRange(Signals.AutocorrelationPitch(output, rate, 60, 400), 110 * 0.98, 110 * 1.02);
        Assert.InRange(Signals.Db(Signals.Rms(output) / Signals.Rms(Signals.Middle(Signals.ToDouble(pcm), 0.1))), -1.5, 1.5);
    }

    [Theory]
    [InlineData(2.0)]
    [InlineData(0.5)]
    public void Content_is_moved_in_time_not_truncated(double factor)
    {
        // Half a second of tone, then half a second of silence: after stretching, the tone must end at factor × 0.5 s.
        var input = Signals.ToPcm(Signals.Sine(200, Rate, Rate / 2, 10000)).Concat(new short[Rate / 2]).ToArray();

        var output = Signals.ToDouble(TimeStretch.Stretch(input, Rate, factor));

        var boundary = (int)(factor * Rate / 2);
        var margin = (int)(0.05 * Rate);
        var tone = Signals.Rms(output.AsSpan(margin, boundary - 2 * margin));
        var silence = Signals.Rms(output.AsSpan(boundary + margin, output.Length - boundary - 2 * margin));
        Assert.InRange(Signals.Db(tone / (10000 / Math.Sqrt(2))), -1.5, 1.5);
        Assert.True(silence < 1, $"silence RMS {silence}");
    }

    [Theory]
    [InlineData(0.25)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    [InlineData(4.0)]
    public void Start_and_end_are_not_faded(double factor)
    {
        var input = Signals.ToPcm(Signals.Sine(200, Rate, Rate, 10000));
        var edge = Rate / 100; // 10 ms, two periods

        var output = Signals.ToDouble(TimeStretch.Stretch(input, Rate, factor));

        var fullLevel = 10000 / Math.Sqrt(2);
        Assert.InRange(Signals.Db(Signals.Rms(output.AsSpan(0, edge)) / fullLevel), -0.2, 0.2);
        Assert.InRange(Signals.Db(Signals.Rms(output.AsSpan(output.Length - edge)) / fullLevel), -0.2, 0.2);
    }

    [Fact]
    public void Empty_input_gives_empty_output()
    {
        Assert.Empty(TimeStretch.Stretch([], Rate, 2.0));
        Assert.Empty(TimeStretch.Stretch([], Rate, 0.25));
    }

    [Theory]
    [InlineData(1, 0.25, 0)]
    [InlineData(1, 0.5, 1)]
    [InlineData(1, 4.0, 4)]
    [InlineData(3, 2.0, 6)]
    [InlineData(10, 0.25, 3)]  // 2.5 rounds away from zero
    [InlineData(100, 3.0, 300)]
    [InlineData(479, 0.5, 240)]
    public void Very_short_inputs_get_the_rounded_length_and_bounded_samples(int length, double factor, int expected)
    {
        var input = Enumerable.Range(0, length).Select(n => (short)(n % 2 == 0 ? 8000 : -8000)).ToArray();

        var output = TimeStretch.Stretch(input, Rate, factor);

        Assert.Equal(expected, output.Length);
        Assert.All(output, s => Assert.InRange(s, (short)-8000, (short)8000));
    }

    [Fact]
    public void Unit_factor_is_an_identity_copy()
    {
        short[] input = [5, -6, 7];

        var output = TimeStretch.Stretch(input, Rate, 1.0);

        Assert.Equal(input, output);
        Assert.NotSame(input, output);
    }

    [Theory]
    [InlineData(0.24)]
    [InlineData(4.01)]
    [InlineData(double.NaN)]
    public void Factors_outside_the_supported_range_are_rejected(double factor)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TimeStretch.Stretch(new short[10], Rate, factor));
    }
}

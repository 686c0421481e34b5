namespace Orleans.Tts.Audio.Tests;

public class StreamingResamplerTests
{
    [Theory]
    [InlineData(22050, 48000)]
    [InlineData(24000, 48000)]
    [InlineData(16000, 24000)]
    [InlineData(44100, 22050)]
    [InlineData(19000, 22050)]
    [InlineData(24000, 24000)]
    public void Chunked_resampling_equals_resampling_the_whole_signal_at_once(int from, int to)
    {
        var input = Signals.ToPcm(Signals.Sine(440, from, 9_001, 9000));
        var expected = Resampler.Resample(input, from, to);

        var resampler = new StreamingResampler(from, to);
        var random = new Random(3);
        var output = new List<short>();
        for (var at = 0; at < input.Length;)
        {
            var n = Math.Min(random.Next(0, 700), input.Length - at);
            output.AddRange(resampler.Push(input.AsSpan(at, n)));
            at += n;
        }
        output.AddRange(resampler.Complete());

        Assert.Equal(expected, output);
    }

    [Fact]
    public void Output_follows_the_input_with_a_delay_of_about_half_the_filter()
    {
        var resampler = new StreamingResampler(24000, 48000);
        var first = resampler.Push(new short[24000]);
        Assert.InRange(first.Length, 48000 - 200, 48000);
    }
}

using System.Buffers.Binary;
using System.Text;

namespace Orleans.Tts.Api.Tests;

/// <summary>A parsed RIFF/WAVE file, checked against its own header.</summary>
public sealed record Wav(int SampleRate, int Channels, int BitsPerSample, short[] Samples)
{
    public double Seconds => (double)Samples.Length / SampleRate;

    public double RmsDbfs
    {
        get
        {
            if (Samples.Length == 0) return double.NegativeInfinity;
            double sum = 0;
            foreach (var s in Samples) sum += (double)s * s;
            return 20 * Math.Log10(Math.Max(Math.Sqrt(sum / Samples.Length) / 32768.0, 1e-12));
        }
    }

    public static Wav Parse(byte[] bytes)
    {
        Assert.True(bytes.Length >= 44, $"A WAV needs at least 44 bytes, got {bytes.Length}.");
        Assert.Equal("RIFF", Encoding.ASCII.GetString(bytes, 0, 4));
        Assert.Equal("WAVE", Encoding.ASCII.GetString(bytes, 8, 4));
        Assert.Equal((uint)bytes.Length - 8, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(4)));
        Assert.Equal("fmt ", Encoding.ASCII.GetString(bytes, 12, 4));
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(20)));
        var channels = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(22));
        var rate = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24));
        var byteRate = BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(28));
        var bits = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(34));
        Assert.Equal((uint)(rate * channels * bits / 8), byteRate);
        Assert.Equal("data", Encoding.ASCII.GetString(bytes, 36, 4));
        var dataBytes = (int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(40));
        Assert.Equal(bytes.Length - 44, dataBytes);
        var samples = new short[dataBytes / 2];
        for (var i = 0; i < samples.Length; i++) samples[i] = BinaryPrimitives.ReadInt16LittleEndian(bytes.AsSpan(44 + 2 * i));
        return new Wav(rate, channels, bits, samples);
    }
}

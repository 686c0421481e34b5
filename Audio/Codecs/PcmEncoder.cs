using System.Buffers;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Audio.Codecs;

/// <summary>Raw 16-bit little-endian samples at <paramref name="outputSampleRate"/> (OpenAI's <c>pcm</c>: 24 kHz).</summary>
public sealed class PcmEncoder(int inputSampleRate, int outputSampleRate) : IAudioEncoder
{
    private readonly StreamingResampler _resampler = new(inputSampleRate, outputSampleRate);

    public string Format => "pcm";
    public string ContentType => AudioEncoders.ContentType(Format);
    public int InputSampleRate => inputSampleRate;
    public IReadOnlyList<HeaderPatch> Patches => [];

    public void Write(ReadOnlySpan<short> samples, IBufferWriter<byte> output) => WriteLittleEndian(_resampler.Push(samples), output);

    public void Complete(IBufferWriter<byte> output) => WriteLittleEndian(_resampler.Complete(), output);

    public void Dispose() { }

    internal static void WriteLittleEndian(ReadOnlySpan<short> samples, IBufferWriter<byte> output)
    {
        if (samples.IsEmpty) return;
        var span = output.GetSpan(samples.Length * 2);
        Pcm16.WriteLittleEndian(samples, span);
        output.Advance(samples.Length * 2);
    }
}

using System.Buffers;

namespace Orleans.Tts.Audio.Codecs;

/// <summary>
/// RIFF/WAVE 16-bit mono at the input rate. The header is written first with the "unknown length" marker that
/// players accept for streams; <see cref="Patches"/> holds the header with the real length.
/// </summary>
public sealed class WavEncoder(int sampleRate) : IAudioEncoder
{
    private long _samples;
    private bool _headerWritten;
    private HeaderPatch[] _patches = [];

    public string Format => "wav";
    public string ContentType => AudioEncoders.ContentType(Format);
    public int InputSampleRate => sampleRate;
    public IReadOnlyList<HeaderPatch> Patches => _patches;

    public void Write(ReadOnlySpan<short> samples, IBufferWriter<byte> output)
    {
        WriteHeaderOnce(output);
        _samples += samples.Length;
        PcmEncoder.WriteLittleEndian(samples, output);
    }

    public void Complete(IBufferWriter<byte> output)
    {
        WriteHeaderOnce(output);
        var dataBytes = (uint)Math.Min(_samples * 2, uint.MaxValue - 36 - 1);
        _patches = [new HeaderPatch(0, WavWriter.Header(sampleRate, dataBytes))];
    }

    public void Dispose() { }

    /// <summary>A whole WAV file as its stream was sent: the header's sizes back to the unknown-length marker.</summary>
    internal static byte[] Unpatched(ReadOnlySpan<byte> file)
    {
        var bytes = file.ToArray();
        if (bytes.Length < WavWriter.HeaderBytes) return bytes;
        WavWriter.Header((int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(file[24..]), uint.MaxValue).CopyTo(bytes, 0);
        return bytes;
    }

    private void WriteHeaderOnce(IBufferWriter<byte> output)
    {
        if (_headerWritten) return;
        _headerWritten = true;
        output.Write(WavWriter.Header(sampleRate, uint.MaxValue));
    }
}

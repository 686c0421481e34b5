using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Audio;

/// <summary>RIFF/WAVE, 16-bit PCM, mono.</summary>
public static class WavWriter
{
    public const int HeaderBytes = 44;

    /// <summary>A 44-byte header; <paramref name="dataBytes"/> = <see cref="uint.MaxValue"/> marks a stream of unknown length.</summary>
    public static byte[] Header(int sampleRate, uint dataBytes)
    {
        var h = new byte[HeaderBytes];
        var s = h.AsSpan();
        "RIFF"u8.CopyTo(s);
        BinaryPrimitives.WriteUInt32LittleEndian(s[4..], dataBytes == uint.MaxValue ? uint.MaxValue : 36 + dataBytes);
        "WAVE"u8.CopyTo(s[8..]);
        "fmt "u8.CopyTo(s[12..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[16..], 16);        // fmt chunk size
        BinaryPrimitives.WriteUInt16LittleEndian(s[20..], 1);         // PCM
        BinaryPrimitives.WriteUInt16LittleEndian(s[22..], 1);         // mono
        BinaryPrimitives.WriteUInt32LittleEndian(s[24..], (uint)sampleRate);
        BinaryPrimitives.WriteUInt32LittleEndian(s[28..], (uint)sampleRate * 2); // byte rate
        BinaryPrimitives.WriteUInt16LittleEndian(s[32..], 2);         // block align
        BinaryPrimitives.WriteUInt16LittleEndian(s[34..], 16);        // bits per sample
        "data"u8.CopyTo(s[36..]);
        BinaryPrimitives.WriteUInt32LittleEndian(s[40..], dataBytes);
        return h;
    }

    public static byte[] Encode(AudioClip clip)
    {
        var data = MemoryMarshal.AsBytes(clip.Samples.AsSpan());
        var bytes = new byte[HeaderBytes + data.Length];
        Header(clip.SampleRate, (uint)data.Length).CopyTo(bytes, 0);
        Pcm16.WriteLittleEndian(clip.Samples, bytes.AsSpan(HeaderBytes));
        return bytes;
    }

    /// <summary>Raw little-endian 16-bit samples.</summary>
    public static byte[] EncodePcm(ReadOnlySpan<short> samples)
    {
        var bytes = new byte[samples.Length * 2];
        Pcm16.WriteLittleEndian(samples, bytes);
        return bytes;
    }
}

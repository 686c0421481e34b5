using System.Buffers;
using System.Runtime.InteropServices;

namespace Orleans.Tts.Audio.Codecs;

/// <summary>
/// MPEG-1/2 Layer III, mono CBR, through libmp3lame. Input at a rate MP3 does not have is resampled to the next
/// higher MP3 rate here rather than by LAME. The first frame is LAME's placeholder for the Info tag, which
/// <see cref="Patches"/> fills in (encoder delay and padding, so decoders trim to the exact length); a stream sent as it is
/// produced keeps the placeholder, which decodes as one frame of silence.
/// </summary>
public sealed unsafe class Mp3Encoder : IAudioEncoder
{
    public const int DefaultBitrateKbps = 64;
    public static readonly IReadOnlyList<int> SampleRates = [8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000];

    private readonly StreamingResampler _resampler;
    private nint _lame;
    private HeaderPatch[] _patches = [];

    public Mp3Encoder(int inputSampleRate, int bitrateKbps = DefaultBitrateKbps)
    {
        InputSampleRate = inputSampleRate;
        OutputSampleRate = SampleRates.FirstOrDefault(r => r >= inputSampleRate, SampleRates[^1]);
        _resampler = new StreamingResampler(inputSampleRate, OutputSampleRate);
        _lame = LameNative.Init();
        if (_lame == 0) throw new InvalidOperationException("lame_init failed.");
        try
        {
            Check(LameNative.SetInSamplerate(_lame, OutputSampleRate), "in_samplerate");
            Check(LameNative.SetOutSamplerate(_lame, OutputSampleRate), "out_samplerate");
            Check(LameNative.SetNumChannels(_lame, 1), "num_channels");
            Check(LameNative.SetMode(_lame, LameNative.Mono), "mode");
            Check(LameNative.SetBitrate(_lame, bitrateKbps), "brate");
            Check(LameNative.SetQuality(_lame, 5), "quality");
            Check(LameNative.SetWriteVbrTag(_lame, 1), "bWriteVbrTag");
            Check(LameNative.InitParams(_lame), "init_params");
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Format => "mp3";
    public string ContentType => AudioEncoders.ContentType(Format);
    public int InputSampleRate { get; }
    public int OutputSampleRate { get; }
    public IReadOnlyList<HeaderPatch> Patches => _patches;

    public void Write(ReadOnlySpan<short> samples, IBufferWriter<byte> output) => Encode(_resampler.Push(samples), output);

    public void Complete(IBufferWriter<byte> output)
    {
        Encode(_resampler.Complete(), output);
        var buffer = output.GetSpan(7200);
        int written;
        fixed (byte* b = buffer) written = LameNative.Flush(Handle, b, buffer.Length);
        Check(written, "encode_flush");
        output.Advance(written);

        var tag = new byte[2880]; // the largest Layer III frame
        nuint length;
        fixed (byte* t = tag) length = LameNative.GetLametagFrame(Handle, t, (nuint)tag.Length);
        if (length > 0 && length <= (nuint)tag.Length) _patches = [new HeaderPatch(0, tag[..(int)length])];
    }

    public void Dispose()
    {
        if (_lame == 0) return;
        LameNative.Close(_lame);
        _lame = 0;
    }

    private static readonly int[] Mpeg1Kbps = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
    private static readonly int[] Mpeg2Kbps = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];

    /// <summary>
    /// A whole MP3 file as its stream was sent: the first frame (the Info tag) back to LAME's placeholder, which is the same
    /// frame header followed by zeros (a frame of silence).
    /// </summary>
    internal static byte[] Unpatched(ReadOnlySpan<byte> file)
    {
        var bytes = file.ToArray();
        if (bytes.Length < 4 || bytes[0] != 0xFF || (bytes[1] & 0xE0) != 0xE0) return bytes;
        var version = (bytes[1] >> 3) & 3;          // 3 MPEG-1, 2 MPEG-2, 0 MPEG-2.5
        var index = bytes[2] >> 4;
        var kbps = index < 15 ? (version == 3 ? Mpeg1Kbps : Mpeg2Kbps)[index] : 0;
        var rate = ((bytes[2] >> 2) & 3) switch { 0 => 44100, 1 => 48000, 2 => 32000, _ => 0 } >> (version switch { 3 => 0, 2 => 1, _ => 2 });
        if (kbps == 0 || rate == 0) return bytes;
        var length = (version == 3 ? 144_000 : 72_000) * kbps / rate + ((bytes[2] >> 1) & 1);
        bytes.AsSpan(4, Math.Min(length, bytes.Length) - 4).Clear();
        return bytes;
    }

    private nint Handle => _lame != 0 ? _lame : throw new ObjectDisposedException(nameof(Mp3Encoder));

    private void Encode(ReadOnlySpan<short> samples, IBufferWriter<byte> output)
    {
        if (samples.IsEmpty) return;
        var buffer = output.GetSpan(samples.Length * 5 / 4 + 7200); // LAME's documented worst case
        int written;
        fixed (short* pcm = samples)
        fixed (byte* b = buffer)
            written = LameNative.EncodeBuffer(Handle, pcm, pcm, samples.Length, b, buffer.Length);
        Check(written, "encode_buffer");
        output.Advance(written);
    }

    private static void Check(int result, string what)
    {
        if (result < 0) throw new InvalidOperationException($"lame_{what} failed ({result}).");
    }
}

internal static unsafe partial class LameNative
{
    private const string Library = "libmp3lame.so.0";
    public const int Mono = 3;

    [LibraryImport(Library, EntryPoint = "lame_init")] public static partial nint Init();
    [LibraryImport(Library, EntryPoint = "lame_set_in_samplerate")] public static partial int SetInSamplerate(nint gfp, int rate);
    [LibraryImport(Library, EntryPoint = "lame_set_out_samplerate")] public static partial int SetOutSamplerate(nint gfp, int rate);
    [LibraryImport(Library, EntryPoint = "lame_set_num_channels")] public static partial int SetNumChannels(nint gfp, int channels);
    [LibraryImport(Library, EntryPoint = "lame_set_mode")] public static partial int SetMode(nint gfp, int mode);
    [LibraryImport(Library, EntryPoint = "lame_set_brate")] public static partial int SetBitrate(nint gfp, int kbps);
    [LibraryImport(Library, EntryPoint = "lame_set_quality")] public static partial int SetQuality(nint gfp, int quality);
    [LibraryImport(Library, EntryPoint = "lame_set_bWriteVbrTag")] public static partial int SetWriteVbrTag(nint gfp, int write);
    [LibraryImport(Library, EntryPoint = "lame_init_params")] public static partial int InitParams(nint gfp);
    [LibraryImport(Library, EntryPoint = "lame_encode_buffer")] public static partial int EncodeBuffer(nint gfp, short* left, short* right, int samples, byte* mp3, int size);
    [LibraryImport(Library, EntryPoint = "lame_encode_flush")] public static partial int Flush(nint gfp, byte* mp3, int size);
    [LibraryImport(Library, EntryPoint = "lame_get_lametag_frame")] public static partial nuint GetLametagFrame(nint gfp, byte* buffer, nuint size);
    [LibraryImport(Library, EntryPoint = "lame_close")] public static partial int Close(nint gfp);
}

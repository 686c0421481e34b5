using System.Buffers;
using System.Runtime.InteropServices;

namespace Orleans.Tts.Audio.Codecs;

/// <summary>
/// AAC-LC in ADTS (what OpenAI's <c>aac</c> answers with), mono, with FFmpeg's native AAC encoder from Debian's libavcodec.
/// Every frame carries its own 7-byte ADTS header, so the bytes play as they are sent. Input at a rate AAC has no index for
/// is resampled to 24 kHz.
/// </summary>
public sealed unsafe class AacEncoder : IAudioEncoder
{
    public const int DefaultBitrate = 64000;
    private const int FrameSamples = 1024;

    // The sampling-frequency index of ISO/IEC 14496-3 Table 1.18 is the position in this list.
    private static readonly int[] AdtsRates = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

    private readonly StreamingResampler? _resampler;
    private readonly float[] _frame = new float[FrameSamples];
    private readonly int _rateIndex;
    private int _frameFill;
    private nint _context, _avFrame, _packet;

    public AacEncoder(int inputSampleRate, int bitrate = DefaultBitrate)
    {
        InputSampleRate = inputSampleRate;
        var rate = Array.IndexOf(AdtsRates, inputSampleRate) >= 0 ? inputSampleRate : 24000;
        if (rate != inputSampleRate) _resampler = new StreamingResampler(inputSampleRate, rate);
        _rateIndex = Array.IndexOf(AdtsRates, rate);
        AvNative.EnsureSupported();
        try
        {
            var codec = AvNative.FindEncoder(AvNative.CodecIdAac);
            if (codec == 0) throw new InvalidOperationException("libavcodec has no AAC encoder.");
            _context = AvNative.AllocContext(codec);
            Check(AvNative.OptSetInt(_context, "b", bitrate, 0), "bit rate");
            Check(AvNative.OptSetInt(_context, "ar", rate, 0), "sample rate");
            Check(AvNative.OptSet(_context, "ch_layout", "mono", 0), "channel layout");
            // sample_fmt is no AVOption: it is set in the struct (offset checked for this libavcodec by EnsureSupported).
            *(int*)(_context + AvNative.ContextSampleFormat) = AvNative.SampleFormatFloatPlanar;
            Check(AvNative.Open(_context, codec, 0), "avcodec_open2");

            _avFrame = AvNative.FrameAlloc();
            *(int*)(_avFrame + AvNative.FrameFormat) = AvNative.SampleFormatFloatPlanar;
            *(int*)(_avFrame + AvNative.FrameSampleRate) = rate;
            AvNative.ChannelLayoutDefault(_avFrame + AvNative.FrameChannelLayout, 1);
            _packet = AvNative.PacketAlloc();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Format => "aac";
    public string ContentType => AudioEncoders.ContentType(Format);
    public int InputSampleRate { get; }
    public IReadOnlyList<HeaderPatch> Patches => [];

    public void Write(ReadOnlySpan<short> samples, IBufferWriter<byte> output)
    {
        if (_resampler is null) Buffer(samples, output);
        else Buffer(_resampler.Push(samples), output);
    }

    public void Complete(IBufferWriter<byte> output)
    {
        if (_resampler is not null) Buffer(_resampler.Complete(), output);
        if (_frameFill > 0) Send(_frameFill, output);
        Check(AvNative.SendFrame(_context, 0), "flushing the AAC encoder");
        Drain(output);
    }

    public void Dispose()
    {
        if (_packet != 0) fixed (nint* p = &_packet) AvNative.PacketFree(p);
        if (_avFrame != 0) fixed (nint* f = &_avFrame) AvNative.FrameFree(f);
        if (_context != 0) fixed (nint* c = &_context) AvNative.FreeContext(c);
    }

    private void Buffer(ReadOnlySpan<short> samples, IBufferWriter<byte> output)
    {
        while (!samples.IsEmpty)
        {
            var n = Math.Min(samples.Length, FrameSamples - _frameFill);
            for (var i = 0; i < n; i++) _frame[_frameFill + i] = samples[i] / 32768f;
            _frameFill += n;
            samples = samples[n..];
            if (_frameFill == FrameSamples) Send(FrameSamples, output);
        }
    }

    private void Send(int count, IBufferWriter<byte> output)
    {
        *(int*)(_avFrame + AvNative.FrameSampleCount) = count;
        fixed (float* pcm = _frame)
        {
            // libavcodec copies a frame whose data it does not own, so the array is pinned only for this call. Alignment 1:
            // with 0 (the default) a last frame of a count not a multiple of 32 would need more bytes than it has.
            Check(AvNative.FillAudioFrame(_avFrame, 1, AvNative.SampleFormatFloatPlanar, (byte*)pcm, count * sizeof(float), 1), "avcodec_fill_audio_frame");
            Check(AvNative.SendFrame(_context, _avFrame), "avcodec_send_frame");
        }
        _frameFill = 0;
        Drain(output);
    }

    private void Drain(IBufferWriter<byte> output)
    {
        while (true)
        {
            var result = AvNative.ReceivePacket(_context, _packet);
            if (result is AvNative.ErrorAgain or AvNative.ErrorEof) return;
            Check(result, "avcodec_receive_packet");
            var data = *(byte**)(_packet + AvNative.PacketData);
            var size = *(int*)(_packet + AvNative.PacketSize);
            var frame = output.GetSpan(7 + size);
            WriteAdtsHeader(frame, 7 + size);
            new ReadOnlySpan<byte>(data, size).CopyTo(frame[7..]);
            output.Advance(7 + size);
            AvNative.PacketUnref(_packet);
        }
    }

    /// <summary>ISO/IEC 13818-7 ADTS header: MPEG-4, no CRC, AAC-LC, one channel, variable bit rate.</summary>
    private void WriteAdtsHeader(Span<byte> header, int frameLength)
    {
        const int profile = 1; // audio object type 2 (LC) minus one
        const int channels = 1;
        header[0] = 0xFF;
        header[1] = 0xF1;
        header[2] = (byte)((profile << 6) | (_rateIndex << 2) | (channels >> 2));
        header[3] = (byte)(((channels & 3) << 6) | (frameLength >> 11));
        header[4] = (byte)((frameLength >> 3) & 0xFF);
        header[5] = (byte)(((frameLength & 7) << 5) | 0x1F);
        header[6] = 0xFC;
    }

    private static void Check(int result, string what)
    {
        if (result < 0) throw new InvalidOperationException($"AAC encoder: {what} failed ({AvNative.ErrorText(result)}).");
    }
}

/// <summary>
/// The few libavcodec/libavutil calls the AAC encoder needs. The struct fields with no accessor (sample format, a frame's
/// sample count, format, rate and channel layout, a packet's data) are at offsets measured against Debian 12's FFmpeg 5.1
/// headers; <see cref="EnsureSupported"/> refuses any other major version rather than write to the wrong field.
/// </summary>
internal static unsafe partial class AvNative
{
    private const string Codec = "libavcodec.so.59";
    private const string Util = "libavutil.so.57";
    public const int CodecIdAac = 0x15002;
    public const int SampleFormatFloatPlanar = 8;
    public const int ErrorAgain = -11;
    public const int ErrorEof = -0x20464F45; // FFERRTAG('E','O','F',' ')
    public const int ContextSampleFormat = 360;
    public const int FrameSampleCount = 112, FrameFormat = 116, FrameSampleRate = 208, FrameChannelLayout = 448;
    public const int PacketData = 24, PacketSize = 32;

    private static readonly Lazy<string?> Unsupported = new(() =>
    {
        try
        {
            var (codec, util) = (CodecVersion() >> 16, UtilVersion() >> 16);
            if (codec != 59 || util != 57) return $"AAC needs libavcodec 59 and libavutil 57 (Debian 12's FFmpeg 5.1); this machine has {codec} and {util}.";
            LogSetLevel(-8); // quiet: failures are reported as exceptions, not on the console
            return null;
        }
        catch (DllNotFoundException e)
        {
            return $"AAC needs Debian's libavcodec59 (apt install libavcodec59): {e.Message}";
        }
    });

    public static void EnsureSupported()
    {
        if (Unsupported.Value is { } reason) throw new NotSupportedException(reason);
    }

    public static string ErrorText(int error)
    {
        var buffer = stackalloc byte[128];
        return StrError(error, buffer, 128) == 0 ? Marshal.PtrToStringUTF8((nint)buffer) ?? error.ToString() : error.ToString();
    }

    [LibraryImport(Codec, EntryPoint = "avcodec_version")] public static partial uint CodecVersion();
    [LibraryImport(Codec, EntryPoint = "avcodec_find_encoder")] public static partial nint FindEncoder(int id);
    [LibraryImport(Codec, EntryPoint = "avcodec_alloc_context3")] public static partial nint AllocContext(nint codec);
    [LibraryImport(Codec, EntryPoint = "avcodec_open2")] public static partial int Open(nint context, nint codec, nint options);
    [LibraryImport(Codec, EntryPoint = "avcodec_free_context")] public static partial void FreeContext(nint* context);
    [LibraryImport(Codec, EntryPoint = "avcodec_fill_audio_frame")] public static partial int FillAudioFrame(nint frame, int channels, int format, byte* buffer, int size, int align);
    [LibraryImport(Codec, EntryPoint = "avcodec_send_frame")] public static partial int SendFrame(nint context, nint frame);
    [LibraryImport(Codec, EntryPoint = "avcodec_receive_packet")] public static partial int ReceivePacket(nint context, nint packet);
    [LibraryImport(Codec, EntryPoint = "av_packet_alloc")] public static partial nint PacketAlloc();
    [LibraryImport(Codec, EntryPoint = "av_packet_unref")] public static partial void PacketUnref(nint packet);
    [LibraryImport(Codec, EntryPoint = "av_packet_free")] public static partial void PacketFree(nint* packet);
    [LibraryImport(Util, EntryPoint = "avutil_version")] public static partial uint UtilVersion();
    [LibraryImport(Util, EntryPoint = "av_frame_alloc")] public static partial nint FrameAlloc();
    [LibraryImport(Util, EntryPoint = "av_frame_free")] public static partial void FrameFree(nint* frame);
    [LibraryImport(Util, EntryPoint = "av_channel_layout_default")] public static partial void ChannelLayoutDefault(nint layout, int channels);
    [LibraryImport(Util, EntryPoint = "av_opt_set_int")] public static partial int OptSetInt(nint target, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, long value, int flags);
    [LibraryImport(Util, EntryPoint = "av_opt_set")] public static partial int OptSet(nint target, [MarshalAs(UnmanagedType.LPUTF8Str)] string name, [MarshalAs(UnmanagedType.LPUTF8Str)] string value, int flags);
    [LibraryImport(Util, EntryPoint = "av_log_set_level")] public static partial void LogSetLevel(int level);
    [LibraryImport(Util, EntryPoint = "av_strerror")] public static partial int StrError(int error, byte* buffer, nuint size);
}

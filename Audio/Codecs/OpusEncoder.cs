using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Orleans.Tts.Audio.Codecs;

/// <summary>
/// Opus (libopus) in Ogg, per RFC 7845: mono, 20 ms frames at 48 kHz (input resampled), OpusHead/OpusTags headers,
/// pre-skip = the encoder's lookahead, and an end granule that trims the final frame's padding. Each
/// <see cref="Write"/> emits one page with the frames it completed, except the newest, which is held back so the last
/// page (end of stream, trimmed granule) always has a packet.
/// </summary>
public sealed unsafe class OpusEncoder : IAudioEncoder
{
    public const int SampleRate = 48000;
    public const int FrameSamples = 960;
    public const int DefaultBitrate = 32000;
    // libopus's default (10) costs about three times as much CPU as 5 for no audible gain on 32 kbps speech.
    public const int DefaultComplexity = 5;
    private const int MaxPacketBytes = 1275;
    private const int PacketsPerPage = 50; // one second: bounds page size and the latency of a long chunk

    private readonly StreamingResampler _resampler;
    private readonly OggPageWriter _ogg = new(RandomSerial());
    private readonly short[] _frame = new short[FrameSamples];
    private readonly List<byte[]> _pending = [];
    private int _frameFill;
    private long _input48;      // resampled input samples
    private long _encoded;      // samples in encoded packets (granule units)
    private bool _headersWritten;
    private nint _opus;

    public OpusEncoder(int inputSampleRate, int bitrate = DefaultBitrate)
    {
        InputSampleRate = inputSampleRate;
        _resampler = new StreamingResampler(inputSampleRate, SampleRate);
        int error;
        _opus = OpusNative.Create(SampleRate, 1, OpusNative.ApplicationAudio, &error);
        if (_opus == 0 || error != 0) throw new InvalidOperationException($"opus_encoder_create failed ({error}).");
        try
        {
            Check(OpusNative.Ctl(_opus, OpusNative.SetBitrateRequest, bitrate), "OPUS_SET_BITRATE");
            Check(OpusNative.Ctl(_opus, OpusNative.SetSignalRequest, OpusNative.SignalVoice), "OPUS_SET_SIGNAL");
            Check(OpusNative.Ctl(_opus, OpusNative.SetComplexityRequest, DefaultComplexity), "OPUS_SET_COMPLEXITY");
            int lookahead;
            Check(OpusNative.Ctl(_opus, OpusNative.GetLookaheadRequest, &lookahead), "OPUS_GET_LOOKAHEAD");
            PreSkip = lookahead;
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public string Format => "opus";
    public string ContentType => AudioEncoders.ContentType(Format);
    public int InputSampleRate { get; }
    public int PreSkip { get; }
    public IReadOnlyList<HeaderPatch> Patches => [];

    public void Write(ReadOnlySpan<short> samples, IBufferWriter<byte> output)
    {
        WriteHeadersOnce(output);
        var resampled = _resampler.Push(samples);
        _input48 += resampled.Length;
        Buffer(resampled);
        while (_pending.Count > 1)
        {
            var count = Math.Min(_pending.Count - 1, PacketsPerPage);
            WriteAudioPage(output, count, last: false);
        }
    }

    public void Complete(IBufferWriter<byte> output)
    {
        WriteHeadersOnce(output);
        var tail = _resampler.Complete();
        _input48 += tail.Length;
        Buffer(tail);
        // Encode until every input sample, delayed by the pre-skip, is inside a packet; the last frame is zero-padded.
        var end = PreSkip + _input48;
        while (_encoded < end)
        {
            Array.Clear(_frame, _frameFill, FrameSamples - _frameFill);
            _frameFill = FrameSamples;
            EncodeFrame();
        }
        while (_pending.Count > PacketsPerPage) WriteAudioPage(output, PacketsPerPage, last: false);
        WriteAudioPage(output, _pending.Count, last: true, granule: end);
    }

    public void Dispose()
    {
        if (_opus == 0) return;
        OpusNative.Destroy(_opus);
        _opus = 0;
    }

    private void Buffer(ReadOnlySpan<short> samples)
    {
        while (!samples.IsEmpty)
        {
            var n = Math.Min(samples.Length, FrameSamples - _frameFill);
            samples[..n].CopyTo(_frame.AsSpan(_frameFill));
            _frameFill += n;
            samples = samples[n..];
            if (_frameFill == FrameSamples) EncodeFrame();
        }
    }

    private void EncodeFrame()
    {
        var packet = stackalloc byte[MaxPacketBytes];
        int length;
        fixed (short* pcm = _frame) length = OpusNative.Encode(Handle, pcm, FrameSamples, packet, MaxPacketBytes);
        Check(length, "opus_encode");
        _pending.Add(new ReadOnlySpan<byte>(packet, length).ToArray());
        _encoded += FrameSamples;
        _frameFill = 0;
    }

    private void WriteAudioPage(IBufferWriter<byte> output, int count, bool last, long? granule = null)
    {
        var packets = _pending.GetRange(0, count);
        _pending.RemoveRange(0, count);
        // Granule: samples of all packets completed on this page, counted from the stream start (pre-skip included).
        _ogg.WritePage(output, packets, granule ?? _encoded - _pending.Count * (long)FrameSamples, last: last);
    }

    private void WriteHeadersOnce(IBufferWriter<byte> output)
    {
        if (_headersWritten) return;
        _headersWritten = true;

        var head = new byte[19];
        "OpusHead"u8.CopyTo(head);
        head[8] = 1; // version
        head[9] = 1; // channels
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(10), (ushort)PreSkip);
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(12), (uint)InputSampleRate);
        BinaryPrimitives.WriteInt16LittleEndian(head.AsSpan(16), 0); // output gain
        head[18] = 0; // channel mapping family: mono/stereo
        _ogg.WritePage(output, [head], 0, first: true);

        var vendor = System.Text.Encoding.UTF8.GetBytes(Marshal.PtrToStringUTF8(OpusNative.VersionString()) ?? "libopus");
        var tags = new byte[8 + 4 + vendor.Length + 4];
        "OpusTags"u8.CopyTo(tags);
        BinaryPrimitives.WriteUInt32LittleEndian(tags.AsSpan(8), (uint)vendor.Length);
        vendor.CopyTo(tags, 12);
        BinaryPrimitives.WriteUInt32LittleEndian(tags.AsSpan(12 + vendor.Length), 0); // no user comments
        _ogg.WritePage(output, [tags], 0);
    }

    private nint Handle => _opus != 0 ? _opus : throw new ObjectDisposedException(nameof(OpusEncoder));

    private static uint RandomSerial() => BinaryPrimitives.ReadUInt32LittleEndian(RandomNumberGenerator.GetBytes(4));

    private static void Check(int result, string what)
    {
        if (result < 0) throw new InvalidOperationException($"{what} failed ({result}: {Marshal.PtrToStringUTF8(OpusNative.StrError(result))}).");
    }
}

internal static unsafe partial class OpusNative
{
    private const string Library = "libopus.so.0";
    public const int ApplicationAudio = 2049;
    public const int SetBitrateRequest = 4002;
    public const int SetSignalRequest = 4024;
    public const int SetComplexityRequest = 4010;
    public const int GetLookaheadRequest = 4027;
    public const int SignalVoice = 3001;

    [LibraryImport(Library, EntryPoint = "opus_encoder_create")] public static partial nint Create(int rate, int channels, int application, int* error);
    // opus_encoder_ctl is variadic; on the SysV x86-64 and AAPCS64 (Linux) ABIs a single int or pointer argument is passed as for a fixed parameter.
    [LibraryImport(Library, EntryPoint = "opus_encoder_ctl")] public static partial int Ctl(nint encoder, int request, int value);
    [LibraryImport(Library, EntryPoint = "opus_encoder_ctl")] public static partial int Ctl(nint encoder, int request, int* value);
    [LibraryImport(Library, EntryPoint = "opus_encode")] public static partial int Encode(nint encoder, short* pcm, int frameSize, byte* data, int maxBytes);
    [LibraryImport(Library, EntryPoint = "opus_encoder_destroy")] public static partial void Destroy(nint encoder);
    [LibraryImport(Library, EntryPoint = "opus_get_version_string")] public static partial nint VersionString();
    [LibraryImport(Library, EntryPoint = "opus_strerror")] public static partial nint StrError(int error);
}

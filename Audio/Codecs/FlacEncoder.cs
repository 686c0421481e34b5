using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Orleans.Tts.Audio.Codecs;

/// <summary>
/// FLAC (libFLAC 1.4 stream encoder), 16-bit mono at the input rate. libFLAC writes through callbacks; at the end it seeks
/// back to STREAMINFO to record the sample count and MD5, and those late writes become <see cref="Patches"/>.
/// </summary>
public sealed unsafe class FlacEncoder : IAudioEncoder
{
    public const int DefaultCompressionLevel = 5;

    private readonly int _compressionLevel;
    private GCHandle _self;
    private nint _flac;
    private bool _initialised;
    private IBufferWriter<byte>? _output;   // the writer of the call in progress, for the callbacks
    private long _position;                 // bytes emitted so far
    private long? _patchPosition;           // set once libFLAC seeks back
    private readonly List<HeaderPatch> _patches = [];
    private Exception? _callbackError;

    public FlacEncoder(int sampleRate, int compressionLevel = DefaultCompressionLevel)
    {
        InputSampleRate = sampleRate;
        _compressionLevel = compressionLevel;
        _flac = FlacNative.New();
        if (_flac == 0) throw new InvalidOperationException("FLAC__stream_encoder_new failed.");
        _self = GCHandle.Alloc(this);
    }

    public string Format => "flac";
    public string ContentType => AudioEncoders.ContentType(Format);
    public int InputSampleRate { get; }
    public IReadOnlyList<HeaderPatch> Patches => _patches;

    public void Write(ReadOnlySpan<short> samples, IBufferWriter<byte> output)
    {
        Begin(output);
        try
        {
            if (samples.IsEmpty) return;
            var wide = ArrayPool<int>.Shared.Rent(samples.Length);
            try
            {
                for (var i = 0; i < samples.Length; i++) wide[i] = samples[i];
                bool ok;
                fixed (int* w = wide) ok = FlacNative.ProcessInterleaved(_flac, w, (uint)samples.Length) != 0;
                Check(ok, "process_interleaved");
            }
            finally
            {
                ArrayPool<int>.Shared.Return(wide);
            }
        }
        finally
        {
            _output = null;
        }
    }

    public void Complete(IBufferWriter<byte> output)
    {
        Begin(output);
        try
        {
            Check(FlacNative.Finish(_flac) != 0, "finish");
        }
        finally
        {
            _output = null;
        }
    }

    public void Dispose()
    {
        if (_flac != 0)
        {
            FlacNative.Delete(_flac);
            _flac = 0;
        }
        if (_self.IsAllocated) _self.Free();
    }

    /// <summary>
    /// A whole FLAC file as its stream was sent: the STREAMINFO fields libFLAC fills in at the end (minimum and maximum frame
    /// sizes, total samples, MD5) back to 0, which the format defines as "unknown".
    /// </summary>
    internal static byte[] Unpatched(ReadOnlySpan<byte> file)
    {
        var bytes = file.ToArray();
        // "fLaC", then the STREAMINFO block header (type 0) and its 34 bytes from offset 8.
        if (bytes.Length < 42 || !file.StartsWith("fLaC"u8) || (bytes[4] & 0x7F) != 0) return bytes;
        bytes.AsSpan(12, 6).Clear();   // min and max frame size (24 bits each)
        bytes[21] &= 0xF0;             // the top 4 of the 36 bits of total samples (the low nibble; bits per sample above)
        bytes.AsSpan(22, 20).Clear();  // the other 32 bits of total samples, and the MD5
        return bytes;
    }

    private void Begin(IBufferWriter<byte> output)
    {
        ObjectDisposedException.ThrowIf(_flac == 0, this);
        _output = output;
        EnsureInitialised();
    }

    private void Check(bool ok, string what)
    {
        if (_callbackError is not null) throw new InvalidOperationException($"FLAC {what}: writing the output failed.", _callbackError);
        if (!ok) throw new InvalidOperationException($"FLAC__stream_encoder_{what} failed (state {FlacNative.GetState(_flac)}).");
    }

    private void EnsureInitialised()
    {
        if (_initialised) return;
        _initialised = true;
        if (FlacNative.SetChannels(_flac, 1) == 0 || FlacNative.SetBitsPerSample(_flac, 16) == 0 ||
            FlacNative.SetSampleRate(_flac, (uint)InputSampleRate) == 0 || FlacNative.SetCompressionLevel(_flac, (uint)_compressionLevel) == 0)
            throw new InvalidOperationException("Configuring the FLAC encoder failed.");
        var status = FlacNative.InitStream(_flac, &OnWrite, &OnSeek, &OnTell, 0, GCHandle.ToIntPtr(_self));
        if (status != 0) throw new InvalidOperationException($"FLAC__stream_encoder_init_stream failed (status {status}).");
    }

    private static FlacEncoder Of(nint client) => (FlacEncoder)GCHandle.FromIntPtr(client).Target!;

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnWrite(nint encoder, byte* buffer, nuint bytes, uint samples, uint frame, nint client)
    {
        var self = Of(client);
        try
        {
            var data = new ReadOnlySpan<byte>(buffer, checked((int)bytes));
            if (self._patchPosition is { } at)
            {
                self._patches.Add(new HeaderPatch(at, data.ToArray()));
                self._patchPosition = at + data.Length;
                return 0;
            }
            self._output!.Write(data);
            self._position += data.Length;
            return 0;
        }
        catch (Exception e)
        {
            self._callbackError = e;
            return 1; // FLAC__STREAM_ENCODER_WRITE_STATUS_FATAL_ERROR
        }
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnSeek(nint encoder, ulong offset, nint client)
    {
        Of(client)._patchPosition = (long)offset;
        return 0;
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OnTell(nint encoder, ulong* offset, nint client)
    {
        var self = Of(client);
        *offset = (ulong)(self._patchPosition ?? self._position);
        return 0;
    }
}

internal static unsafe partial class FlacNative
{
    private const string Library = "libFLAC.so.12";

    [LibraryImport(Library, EntryPoint = "FLAC__stream_encoder_new")] public static partial nint New();
    [LibraryImport(Library, EntryPoint = "FLAC__stream_encoder_delete")] public static partial void Delete(nint encoder);
    [LibraryImport(Library, EntryPoint = "FLAC__stream_encoder_set_channels")] public static partial int SetChannels(nint encoder, uint value);
    [LibraryImport(Library, EntryPoint = "FLAC__stream_encoder_set_bits_per_sample")] public static partial int SetBitsPerSample(nint encoder, uint value);
    [LibraryImport(Library, EntryPoint = "FLAC__stream_encoder_set_sample_rate")] public static partial int SetSampleRate(nint encoder, uint value);
    [LibraryImport(Library, EntryPoint = "FLAC__stream_encoder_set_compression_level")] public static partial int SetCompressionLevel(nint encoder, uint value);

    [LibraryImport(Library, EntryPoint = "FLAC__stream_encoder_init_stream")]
    public static partial int InitStream(nint encoder,
        delegate* unmanaged[Cdecl]<nint, byte*, nuint, uint, uint, nint, int> write,
        delegate* unmanaged[Cdecl]<nint, ulong, nint, int> seek,
        delegate* unmanaged[Cdecl]<nint, ulong*, nint, int> tell,
        nint metadata, nint client);

    [LibraryImport(Library, EntryPoint = "FLAC__stream_encoder_process_interleaved")] public static partial int ProcessInterleaved(nint encoder, int* buffer, uint samples);
    [LibraryImport(Library, EntryPoint = "FLAC__stream_encoder_finish")] public static partial int Finish(nint encoder);
    [LibraryImport(Library, EntryPoint = "FLAC__stream_encoder_get_state")] public static partial int GetState(nint encoder);
}

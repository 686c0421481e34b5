using System.Runtime.InteropServices;

namespace Orleans.Tts.Synthesis.Text.Chinese;

/// <summary>
/// Read-only stream that inflates bzip2 data (including concatenated streams, as written by pbzip2)
/// through the system libbz2.
/// </summary>
public sealed unsafe class Bzip2DecompressionStream : Stream
{
    private const int InputBufferSize = 64 * 1024;

    private readonly Stream _source;
    private readonly bool _leaveOpen;
    // libbz2 keeps next_in between calls, so the input buffer must never move: allocate it on the pinned heap.
    private readonly byte[] _input = GC.AllocateUninitializedArray<byte>(InputBufferSize, pinned: true);
    private readonly DecompressorHandle _decompressor;
    private bool _sourceExhausted;
    private bool _finished;

    public Bzip2DecompressionStream(Stream source, bool leaveOpen = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!source.CanRead)
            throw new ArgumentException("The compressed stream must be readable.", nameof(source));
        _source = source;
        _leaveOpen = leaveOpen;
        _decompressor = DecompressorHandle.Create();
    }

    public override bool CanRead => !_decompressor.IsClosed;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ObjectDisposedException.ThrowIf(_decompressor.IsClosed, this);
        if (buffer.IsEmpty || _finished)
            return 0;

        var stream = _decompressor.Stream;
        fixed (byte* output = buffer)
        {
            stream->NextOut = output;
            stream->AvailOut = (uint)buffer.Length;
            while (true)
            {
                if (stream->AvailIn == 0)
                    Refill(stream);

                var code = LibBz2.BZ2_bzDecompress(stream);
                var produced = buffer.Length - (int)stream->AvailOut;

                if (code == LibBz2.StreamEnd)
                {
                    if (stream->AvailIn == 0)
                        Refill(stream);
                    if (stream->AvailIn == 0)
                    {
                        _finished = true;
                        return produced;
                    }
                    _decompressor.Restart();
                }
                else if (code != LibBz2.Ok)
                {
                    throw new InvalidDataException($"Corrupt bzip2 data ({LibBz2.Describe(code)}).");
                }
                else if (produced == 0 && stream->AvailIn == 0 && _sourceExhausted)
                {
                    throw new InvalidDataException("Truncated bzip2 data.");
                }

                if (produced > 0)
                    return produced;
            }
        }
    }

    private void Refill(BzStream* stream)
    {
        if (_sourceExhausted)
            return;
        var read = _source.Read(_input);
        if (read == 0)
        {
            _sourceExhausted = true;
            return;
        }
        fixed (byte* input = _input)
            stream->NextIn = input; // stays valid after the fixed block: the array is on the pinned heap
        stream->AvailIn = (uint)read;
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _decompressor.Dispose();
            if (!_leaveOpen)
                _source.Dispose();
        }
        base.Dispose(disposing);
    }

    /// <summary>
    /// Owns the native <c>bz_stream</c>. It lives in native memory because libbz2 stores a pointer back to it
    /// and rejects calls made through a moved copy.
    /// </summary>
    private sealed class DecompressorHandle : SafeHandle
    {
        private DecompressorHandle() : base(nint.Zero, ownsHandle: true) { }

        public override bool IsInvalid => handle == nint.Zero;

        public BzStream* Stream => (BzStream*)handle;

        public static DecompressorHandle Create()
        {
            var result = new DecompressorHandle();
            var stream = (BzStream*)NativeMemory.AllocZeroed((nuint)sizeof(BzStream));
            try
            {
                Initialize(stream);
            }
            catch
            {
                NativeMemory.Free(stream);
                throw;
            }
            result.SetHandle((nint)stream);
            return result;
        }

        /// <summary>Starts a fresh decoder for the next concatenated stream, keeping the unread input.</summary>
        public void Restart()
        {
            var stream = Stream;
            var nextIn = stream->NextIn;
            var availIn = stream->AvailIn;
            LibBz2.BZ2_bzDecompressEnd(stream);
            *stream = default;
            Initialize(stream);
            stream->NextIn = nextIn;
            stream->AvailIn = availIn;
        }

        private static void Initialize(BzStream* stream)
        {
            int code;
            try
            {
                code = LibBz2.BZ2_bzDecompressInit(stream, verbosity: 0, small: 0);
            }
            catch (DllNotFoundException e)
            {
                throw new DllNotFoundException(
                    $"{LibBz2.LibraryName} not found; install Debian package libbz2-1.0.", e);
            }
            if (code != LibBz2.Ok)
                throw new InvalidOperationException($"BZ2_bzDecompressInit failed ({LibBz2.Describe(code)}).");
        }

        protected override bool ReleaseHandle()
        {
            LibBz2.BZ2_bzDecompressEnd((BzStream*)handle);
            NativeMemory.Free((void*)handle);
            return true;
        }
    }
}

using System.Runtime.InteropServices;

namespace Orleans.Tts.Synthesis.Text.Chinese;

/// <summary>
/// libbz2's <c>bz_stream</c>. Sequential layout reproduces the C struct on LP64 (x86_64, arm64):
/// pointers at 0, 24 and 48..72, with 4 bytes of padding after each <c>total_*_hi32</c>; 80 bytes in all.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct BzStream
{
    public byte* NextIn;
    public uint AvailIn;
    public uint TotalInLo32;
    public uint TotalInHi32;
    public byte* NextOut;
    public uint AvailOut;
    public uint TotalOutLo32;
    public uint TotalOutHi32;
    public nint State;
    public nint BzAlloc;
    public nint BzFree;
    public nint Opaque;
}

/// <summary>P/Invoke to the system bzip2 library (Debian package <c>libbz2-1.0</c>).</summary>
internal static unsafe partial class LibBz2
{
    public const string LibraryName = "libbz2.so.1.0";

    public const int Ok = 0;
    public const int StreamEnd = 4;

    [LibraryImport(LibraryName)]
    public static partial int BZ2_bzDecompressInit(BzStream* stream, int verbosity, int small);

    [LibraryImport(LibraryName)]
    public static partial int BZ2_bzDecompress(BzStream* stream);

    [LibraryImport(LibraryName)]
    public static partial int BZ2_bzDecompressEnd(BzStream* stream);

    public static string Describe(int code) => code switch
    {
        -1 => "BZ_SEQUENCE_ERROR",
        -2 => "BZ_PARAM_ERROR",
        -3 => "BZ_MEM_ERROR",
        -4 => "BZ_DATA_ERROR",
        -5 => "BZ_DATA_ERROR_MAGIC",
        -6 => "BZ_IO_ERROR",
        -7 => "BZ_UNEXPECTED_EOF",
        -8 => "BZ_OUTBUFF_FULL",
        -9 => "BZ_CONFIG_ERROR",
        _ => $"bzip2 code {code}",
    };
}

using System.Runtime.InteropServices;

namespace Orleans.Tts.Synthesis.Text.Japanese;

/// <summary>P/Invoke surface of the MeCab 0.996 C API (mecab.h) that the converter needs.</summary>
internal static unsafe partial class MecabNative
{
    public const string LibraryName = "libmecab.so.2";

    public const byte EosNode = 3; // MECAB_EOS_NODE

    /// <summary>Prefix of <c>struct mecab_node_t</c> up to <c>stat</c>; only ever read through a pointer.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct Node
    {
        public Node* Prev;
        public Node* Next;
        public Node* ENext;
        public Node* BNext;
        public nint RPath;
        public nint LPath;
        public byte* Surface;
        public byte* Feature;
        public uint Id;
        public ushort Length;
        public ushort RLength;
        public ushort RcAttr;
        public ushort LcAttr;
        public ushort PosId;
        public byte CharType;
        public byte Stat;
    }

    [StructLayout(LayoutKind.Sequential)]
    public struct DictionaryInfo
    {
        public byte* FileName;
        public byte* Charset;
        public uint Size;
        public int Type;
        public uint LSize;
        public uint RSize;
        public ushort Version;
        public DictionaryInfo* Next;
    }

    [LibraryImport(LibraryName, EntryPoint = "mecab_model_new")]
    public static partial nint ModelNew(int argc, nint* argv);

    [LibraryImport(LibraryName, EntryPoint = "mecab_model_destroy")]
    public static partial void ModelDestroy(nint model);

    [LibraryImport(LibraryName, EntryPoint = "mecab_model_new_tagger")]
    public static partial nint ModelNewTagger(MecabModelHandle model);

    [LibraryImport(LibraryName, EntryPoint = "mecab_model_new_lattice")]
    public static partial nint ModelNewLattice(MecabModelHandle model);

    [LibraryImport(LibraryName, EntryPoint = "mecab_model_dictionary_info")]
    public static partial DictionaryInfo* ModelDictionaryInfo(MecabModelHandle model);

    [LibraryImport(LibraryName, EntryPoint = "mecab_destroy")]
    public static partial void TaggerDestroy(nint tagger);

    /// <summary>With a null tagger returns the last global error (e.g. why model creation failed).</summary>
    [LibraryImport(LibraryName, EntryPoint = "mecab_strerror")]
    public static partial byte* StrError(nint tagger);

    /// <summary>Thread-safe per mecab.h: one tagger may parse many lattices concurrently.</summary>
    [LibraryImport(LibraryName, EntryPoint = "mecab_parse_lattice")]
    public static partial int ParseLattice(MecabTaggerHandle tagger, MecabLatticeHandle lattice);

    [LibraryImport(LibraryName, EntryPoint = "mecab_lattice_destroy")]
    public static partial void LatticeDestroy(nint lattice);

    [LibraryImport(LibraryName, EntryPoint = "mecab_lattice_clear")]
    public static partial void LatticeClear(MecabLatticeHandle lattice);

    /// <summary>Does not copy: the sentence buffer must stay pinned until the lattice is cleared.</summary>
    [LibraryImport(LibraryName, EntryPoint = "mecab_lattice_set_sentence2")]
    public static partial void LatticeSetSentence(MecabLatticeHandle lattice, byte* sentence, nuint length);

    [LibraryImport(LibraryName, EntryPoint = "mecab_lattice_get_bos_node")]
    public static partial Node* LatticeBosNode(MecabLatticeHandle lattice);

    [LibraryImport(LibraryName, EntryPoint = "mecab_lattice_strerror")]
    public static partial byte* LatticeStrError(MecabLatticeHandle lattice);

    public static string ReadUtf8(byte* text) =>
        text == null ? "" : Marshal.PtrToStringUTF8((nint)text) ?? "";
}

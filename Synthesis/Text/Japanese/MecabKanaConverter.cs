using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text;

namespace Orleans.Tts.Synthesis.Text.Japanese;

/// <summary>
/// Kanji → katakana via MeCab + UTF-8 IPAdic (system libmecab.so.2).
/// Thread safety follows MeCab's own design: one model and one tagger are shared (parsing a lattice is
/// documented thread-safe in mecab.h); each call rents its own lattice from a pool, so concurrent callers
/// never share mutable parse state and do not serialize on a lock.
/// </summary>
public sealed class MecabKanaConverter : IKanaConverter, IDisposable
{
    private const string ProbeText = "日本語";
    private const string ProbeReading = "ニホンゴ";

    private readonly MecabModelHandle _model;
    private readonly MecabTaggerHandle _tagger;
    private readonly ConcurrentBag<MecabLatticeHandle> _idleLattices = [];
    private volatile bool _disposed;

    private MecabKanaConverter(MecabModelHandle model, MecabTaggerHandle tagger, string dictionaryDirectory)
    {
        _model = model;
        _tagger = tagger;
        DictionaryDirectory = dictionaryDirectory;
    }

    public string DictionaryDirectory { get; }

    /// <summary>Uses the Debian mecab-ipadic-utf8 dictionary.</summary>
    /// <exception cref="MecabUnavailableException">libmecab or the dictionary is missing or unusable.</exception>
    public static MecabKanaConverter Create()
    {
        var candidates = MecabDictionaryLocator.DefaultCandidates();
        var dictionary = MecabDictionaryLocator.Locate(candidates)
            ?? throw new MecabUnavailableException(
                $"No MeCab dictionary (sys.dic) found in: {string.Join(", ", candidates)}.");
        return Create(dictionary);
    }

    /// <param name="dictionaryDirectory">A compiled UTF-8 IPAdic directory (containing sys.dic).</param>
    /// <exception cref="MecabUnavailableException">libmecab or the dictionary is missing or unusable.</exception>
    public static MecabKanaConverter Create(string dictionaryDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dictionaryDirectory);
        if (!File.Exists(Path.Combine(dictionaryDirectory, "sys.dic")))
            throw new MecabUnavailableException($"No MeCab dictionary (sys.dic) found in {dictionaryDirectory}.");

        MecabModelHandle model;
        try
        {
            model = NewModel(dictionaryDirectory);
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or BadImageFormatException)
        {
            throw new MecabUnavailableException($"Cannot load {MecabNative.LibraryName}: {e.Message}", e);
        }

        MecabKanaConverter? converter = null;
        try
        {
            EnsureUtf8(model, dictionaryDirectory);
            var tagger = MecabNative.ModelNewTagger(model);
            if (tagger == 0)
                throw new MecabUnavailableException($"MeCab could not create a tagger: {LastGlobalError()}");
            converter = new MecabKanaConverter(model, new MecabTaggerHandle(model, tagger), dictionaryDirectory);
            if (converter.ToKana(ProbeText) != ProbeReading)
            {
                throw new MecabUnavailableException(
                    $"The dictionary in {dictionaryDirectory} does not yield IPAdic readings ({ProbeText} → {converter.ToKana(ProbeText)}).");
            }
            return converter;
        }
        catch
        {
            converter?.Dispose();
            model.Dispose();
            throw;
        }
    }

    public string ToKana(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!KanaReading.MayNeedConversion(text))
            return text;

        var lattice = RentLattice();
        try
        {
            return Convert(lattice, Encoding.UTF8.GetBytes(text));
        }
        finally
        {
            ReturnLattice(lattice);
        }
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _tagger.Dispose();
        DrainIdleLattices();
        // Lattices still rented keep the model alive through their handle reference until returned.
        _model.Dispose();
    }

    private unsafe string Convert(MecabLatticeHandle lattice, byte[] utf8)
    {
        var output = new StringBuilder(utf8.Length);
        fixed (byte* sentence = utf8)
        {
            MecabNative.LatticeSetSentence(lattice, sentence, (nuint)utf8.Length);
            try
            {
                if (MecabNative.ParseLattice(_tagger, lattice) == 0)
                {
                    throw new InvalidOperationException(
                        "MeCab failed to parse: " + MecabNative.ReadUtf8(MecabNative.LatticeStrError(lattice)));
                }

                // Copy whatever lies between tokens (whitespace MeCab skipped) verbatim, so that only
                // token texts can ever change.
                var cursor = 0;
                var bos = MecabNative.LatticeBosNode(lattice);
                for (var node = bos == null ? null : bos->Next; node != null && node->Stat != MecabNative.EosNode; node = node->Next)
                {
                    var start = (int)(node->Surface - sentence);
                    output.Append(Encoding.UTF8.GetString(utf8, cursor, start - cursor));
                    var surface = Encoding.UTF8.GetString(utf8, start, node->Length);
                    var feature = MecabNative.ReadUtf8(node->Feature);
                    output.Append(KanaReading.Choose(surface, feature) ?? surface);
                    cursor = start + node->Length;
                }
                output.Append(Encoding.UTF8.GetString(utf8, cursor, utf8.Length - cursor));
            }
            finally
            {
                MecabNative.LatticeClear(lattice); // drops the lattice's pointer into the pinned buffer
            }
        }
        return output.ToString();
    }

    private MecabLatticeHandle RentLattice()
    {
        if (_idleLattices.TryTake(out var lattice))
            return lattice;
        var created = MecabNative.ModelNewLattice(_model);
        if (created == 0)
            throw new InvalidOperationException($"MeCab could not create a lattice: {LastGlobalError()}");
        return new MecabLatticeHandle(_model, created);
    }

    private void ReturnLattice(MecabLatticeHandle lattice)
    {
        if (_disposed)
        {
            lattice.Dispose();
            return;
        }
        _idleLattices.Add(lattice);
        if (_disposed)
            DrainIdleLattices(); // Dispose ran between the check and the Add.
    }

    private void DrainIdleLattices()
    {
        while (_idleLattices.TryTake(out var lattice))
            lattice.Dispose();
    }

    private static unsafe MecabModelHandle NewModel(string dictionaryDirectory)
    {
        // argv rather than mecab_new2's single string, so directory paths containing spaces survive.
        // "-r /dev/null": do not depend on (or be redirected by) /etc/mecabrc; the dictionary is explicit.
        string[] args = ["mecab", "-r", "/dev/null", "-d", dictionaryDirectory];
        var argv = new nint[args.Length];
        try
        {
            for (var i = 0; i < args.Length; i++)
                argv[i] = Marshal.StringToCoTaskMemUTF8(args[i]);
            fixed (nint* argvPtr = argv)
            {
                var model = MecabNative.ModelNew(args.Length, argvPtr);
                if (model == 0)
                {
                    throw new MecabUnavailableException(
                        $"MeCab could not load the dictionary in {dictionaryDirectory}: {LastGlobalError()}");
                }
                return new MecabModelHandle(model);
            }
        }
        finally
        {
            foreach (var p in argv)
                Marshal.FreeCoTaskMem(p);
        }
    }

    private static unsafe void EnsureUtf8(MecabModelHandle model, string dictionaryDirectory)
    {
        for (var info = MecabNative.ModelDictionaryInfo(model); info != null; info = info->Next)
        {
            var charset = MecabNative.ReadUtf8(info->Charset);
            if (!charset.Replace("-", "").Equals("utf8", StringComparison.OrdinalIgnoreCase))
            {
                throw new MecabUnavailableException(
                    $"The MeCab dictionary in {dictionaryDirectory} is encoded as {charset}, not UTF-8.");
            }
        }
    }

    private static unsafe string LastGlobalError() => MecabNative.ReadUtf8(MecabNative.StrError(0));
}

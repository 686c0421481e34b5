using Orleans.Tts.Synthesis.Engines.Phonemes;
using System.Runtime.InteropServices;
using System.Text;

namespace Orleans.Tts.Synthesis.Engines.Espeak;

/// <summary>
/// The one eSpeak NG instance of a process. eSpeak keeps global state and is not thread-safe,
/// so this type must be used from one thread only; the silo runs one per engine-host process.
/// </summary>
internal sealed unsafe class EspeakInstance
{
    private readonly EspeakNative.SynthCallback _callback;
    // eSpeak's samples for the current call, reused across calls: a sentence costs no allocation and no fresh pages.
    private short[] _buffer = new short[1 << 16];
    private int _count;
    private string? _currentVoice;
    // Word events of the current call when they were asked for (segment, text position, length, sample); null otherwise.
    private List<int>? _words;
    private int _segment, _segmentStart;

    public int SampleRate { get; }
    public string Version { get; }

    public EspeakInstance()
    {
        SampleRate = EspeakNative.Initialize(EspeakNative.AudioOutputSynchronous, 200, 0, EspeakNative.InitializeDontExit);
        if (SampleRate <= 0)
            throw new InvalidOperationException("eSpeak NG failed to initialise: is its data installed (Debian package espeak-ng-data)?");
        // The delegate lives as long as this instance, which lives as long as the process.
        _callback = OnSamples;
        EspeakNative.SetSynthCallback(Marshal.GetFunctionPointerForDelegate(_callback));
        Version = Marshal.PtrToStringUTF8(EspeakNative.Info(0)) ?? "unknown";
    }

    private int OnSamples(short* wav, int numSamples, nint events)
    {
        if (wav != null && numSamples > 0)
        {
            if (_count + numSamples > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _count + numSamples));
            new ReadOnlySpan<short>(wav, numSamples).CopyTo(_buffer.AsSpan(_count));
            _count += numSamples;
        }
        if (_words is not null && events != 0)
        {
            for (var e = (EspeakNative.Event*)events; e->Type != EspeakNative.EventListTerminated; e++)
            {
                if (e->Type != EspeakNative.EventWord) continue;
                _words.Add(_segment);
                _words.Add(e->TextPosition);
                _words.Add(e->Length);
                _words.Add(_segmentStart + e->Sample);
            }
        }
        return 0;
    }

    /// <summary>Every voice eSpeak offers (mbrola voices excluded: they need a separate program).</summary>
    public IReadOnlyList<EspeakVoiceEntry> ListVoices()
    {
        var result = new List<EspeakVoiceEntry>();
        var list = EspeakNative.ListVoices(null);
        for (var p = list; *p != null; p++)
        {
            var v = **p;
            var identifier = Marshal.PtrToStringUTF8(v.Identifier) ?? "";
            if (identifier.StartsWith("mb/", StringComparison.Ordinal)) continue;
            result.Add(new EspeakVoiceEntry(
                Marshal.PtrToStringUTF8(v.Name) ?? identifier,
                identifier,
                ReadLanguages(v.Languages),
                v.Gender switch { 1 => "male", 2 => "female", _ => null }));
        }
        return result;
    }

    // The languages field is a run of (priority byte, zero-terminated name) pairs ending with a zero byte.
    private static List<string> ReadLanguages(nint languages)
    {
        var names = new List<string>();
        var p = (byte*)languages;
        while (p != null && *p != 0)
        {
            p++; // priority
            var name = Marshal.PtrToStringUTF8((nint)p) ?? "";
            names.Add(name);
            p += Encoding.UTF8.GetByteCount(name) + 1;
        }
        return names;
    }

    /// <summary>
    /// Speaks the segments one after another with the given prosody. The 16-bit PCM is a view of this instance's buffer,
    /// valid until its next call: the engine host writes it to its pipe without a copy of its own. When <paramref name="words"/>
    /// is given, eSpeak's word events go into it as (segment, 1-based code-point position, length in code points, sample) with
    /// the sample counted in the returned audio (after the silence trimming).
    /// </summary>
    public TrimmedPcm Synthesize(IReadOnlyList<EspeakSegment> segments, EspeakProsody prosody, List<int>? words)
    {
        _count = 0;
        _words = words;
        words?.Clear();
        Set(EspeakNative.Parameter.Rate, prosody.WordsPerMinute);
        Set(EspeakNative.Parameter.Pitch, prosody.Pitch);
        Set(EspeakNative.Parameter.WordGap, prosody.WordGap);
        Set(EspeakNative.Parameter.Volume, 100);
        for (var i = 0; i < segments.Count; i++)
        {
            SelectVoice(segments[i].Voice);
            // Rate and pitch are per voice in eSpeak: set them again after a voice change.
            Set(EspeakNative.Parameter.Rate, prosody.WordsPerMinute);
            Set(EspeakNative.Parameter.Pitch, prosody.Pitch);
            Set(EspeakNative.Parameter.WordGap, prosody.WordGap);
            var flags = EspeakNative.CharsUtf8 | (i == segments.Count - 1 ? EspeakNative.EndPause : 0);
            _segment = i;
            _segmentStart = _count;
            SynthText(segments[i].Text, flags);
        }
        _words = null;
        var trimmed = TrimSilence(_buffer.AsSpan(0, _count), prosody.WordsPerMinute, out var cut);
        if (words is not null)
        {
            // Samples cut from the start move every word earlier, and the fixed lead moves it back.
            for (var w = 3; w < words.Count; w += 4)
                words[w] = Math.Clamp(words[w] - cut, 0, trimmed.Speech.Length) + trimmed.Lead;
        }
        return trimmed;
    }

    /// <summary>
    /// eSpeak's trailing pause varies with what the instance spoke before (by up to ~40 ms), so
    /// silence at both ends is cut and a fixed, rate-scaled pause appended: the same sentence then has the same
    /// length on every host, and sentences join with even gaps.
    /// </summary>
    private TrimmedPcm TrimSilence(ReadOnlySpan<short> samples, int wordsPerMinute, out int cut)
    {
        const int threshold = 24;
        var start = 0;
        cut = 0;
        while (start < samples.Length && Math.Abs((int)samples[start]) < threshold) start++;
        var end = samples.Length;
        while (end > start && Math.Abs((int)samples[end - 1]) < threshold) end--;
        if (end == start) return default;
        cut = start;
        var lead = SampleRate / 50;        // 20 ms
        var tail = SampleRate * 3 / 10 * 175 / Math.Max(wordsPerMinute, 1); // 300 ms at the normal rate, like eSpeak's own pause
        return new TrimmedPcm(lead, samples[start..end], tail);
    }

    /// <summary>IPA phonemes for the text, one clause per line, as eSpeak reads it.</summary>
    public string Phonemize(string voice, string text)
    {
        SelectVoice(voice);
        var bytes = Encoding.UTF8.GetBytes(text + "\0");
        var sb = new StringBuilder();
        fixed (byte* start = bytes)
        {
            var p = start;
            while (p != null && *p != 0)
            {
                var before = p;
                var phonemes = EspeakNative.TextToPhonemes(&p, (int)EspeakNative.CharsUtf8, EspeakNative.PhonemesIpa);
                var s = Marshal.PtrToStringUTF8(phonemes);
                if (!string.IsNullOrEmpty(s))
                {
                    if (sb.Length > 0) sb.Append('\n');
                    sb.Append(s);
                }
                if (p == before) break;
            }
        }
        return sb.ToString();
    }

    /// <summary>
    /// IPA phonemes clause by clause, each with the punctuation that ended it (what Piper's phonemizer
    /// appends), optionally with <paramref name="tie"/> between the letters of multi-letter phonemes.
    /// </summary>
    public IReadOnlyList<PhonemeClause> PhonemizeClauses(string voice, string text, char? tie)
    {
        SelectVoice(voice);
        var mode = EspeakNative.PhonemesIpa | (tie is { } t ? EspeakNative.PhonemesTie | (t << 8) : 0);
        var bytes = Encoding.UTF8.GetBytes(text + "\0");
        var clauses = new List<PhonemeClause>();
        fixed (byte* start = bytes)
        {
            var p = start;
            while (p != null && *p != 0)
            {
                var before = p;
                var from = clauses.Count == 0 ? 0 : LastCharStart(bytes, (int)(p - start));
                var phonemes = Marshal.PtrToStringUTF8(EspeakNative.TextToPhonemes(&p, (int)EspeakNative.CharsUtf8, mode)) ?? "";
                // eSpeak has read the first character of the next clause when it returns, so a clause's own
                // text ends where that character starts (at the end of the text the pointer is null).
                var end = p == null ? bytes.Length - 1 : LastCharStart(bytes, (int)(p - start));
                clauses.Add(new PhonemeClause(phonemes, Terminator(bytes, from, end)));
                if (p == before) break;
            }
        }
        return clauses;
    }

    private static int LastCharStart(byte[] utf8, int end)
    {
        var i = end - 1;
        while (i > 0 && (utf8[i] & 0xC0) == 0x80) i--;
        return Math.Max(i, 0);
    }

    /// <summary>The clause's last non-space character when it is clause punctuation, as ASCII; else empty.</summary>
    private static string Terminator(byte[] utf8, int from, int end)
    {
        if (end <= from) return "";
        var text = Encoding.UTF8.GetString(utf8, from, end - from);
        var i = text.Length - 1;
        while (i >= 0 && char.IsWhiteSpace(text[i])) i--;
        if (i < 0) return "";
        return text[i] switch
        {
            '.' or '。' or '．' => ".",
            '?' or '？' => "?",
            '!' or '！' => "!",
            ',' or '，' or '、' => ",",
            ':' or '：' => ":",
            ';' or '；' => ";",
            _ => "",
        };
    }

    private void SelectVoice(string voice)
    {
        if (voice == _currentVoice) return;
        var rc = EspeakNative.SetVoiceByName(voice);
        if (rc != 0) throw new EspeakException($"eSpeak has no voice '{voice}' (error {rc}).");
        _currentVoice = voice;
    }

    private static void Set(EspeakNative.Parameter parameter, int value)
    {
        var rc = EspeakNative.SetParameter(parameter, value, 0);
        if (rc != 0) throw new EspeakException($"eSpeak rejected {parameter}={value} (error {rc}).");
    }

    private static void SynthText(string text, uint flags)
    {
        var bytes = Encoding.UTF8.GetBytes(text + "\0");
        fixed (byte* p = bytes)
        {
            var rc = EspeakNative.Synth(p, (nuint)bytes.Length, 0, EspeakNative.PositionCharacter, 0, flags, null, 0);
            if (rc != 0) throw new EspeakException($"eSpeak failed to synthesise (error {rc}).");
        }
    }
}

/// <summary>A sentence's audio: <see cref="Lead"/> zero samples, then <see cref="Speech"/>, then <see cref="Tail"/> zero samples.</summary>
internal readonly ref struct TrimmedPcm(int lead, ReadOnlySpan<short> speech, int tail)
{
    public int Lead { get; } = lead;
    public ReadOnlySpan<short> Speech { get; } = speech;
    public int Tail { get; } = tail;
    public int Length => Lead + Speech.Length + Tail;

    /// <summary>The samples laid out in <paramref name="destination"/>, which must hold <see cref="Length"/> of them.</summary>
    public void CopyTo(Span<short> destination)
    {
        destination[..Lead].Clear();
        Speech.CopyTo(destination[Lead..]);
        destination.Slice(Lead + Speech.Length, Tail).Clear();
    }
}

public sealed class EspeakException(string message) : Exception(message);

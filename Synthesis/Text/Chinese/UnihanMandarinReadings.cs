using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace Orleans.Tts.Synthesis.Text.Chinese;

/// <summary>
/// Customary Mandarin reading of each Han character, from the Unihan <c>kMandarin</c> field, as numbered pinyin.
/// Immutable after loading, so safe to share between threads.
/// </summary>
public sealed class UnihanMandarinReadings
{
    /// <summary>Where Debian's <c>unicode-data</c> package installs the Unihan readings.</summary>
    public const string DebianPath = "/usr/share/unicode/Unihan_Readings.txt.bz2";

    private const int ChunkSize = 256 * 1024;

    private readonly Dictionary<int, string> _readings;

    private UnihanMandarinReadings(Dictionary<int, string> readings) => _readings = readings;

    public int Count => _readings.Count;

    /// <summary>Loads a bzip2-compressed <c>Unihan_Readings.txt</c>.</summary>
    public static UnihanMandarinReadings Load(string bz2Path)
    {
        if (!File.Exists(bz2Path))
            throw new FileNotFoundException(
                $"Unihan readings not found at {bz2Path}; install Debian package unicode-data.", bz2Path);

        using var file = new FileStream(bz2Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
        using var text = new Bzip2DecompressionStream(file);
        return Parse(text);
    }

    /// <summary>
    /// Loads through a plain copy of just the <c>kMandarin</c> lines kept in <paramref name="cacheDirectory"/> (named by the
    /// source's size and modification time, written on the first load): reading it costs milliseconds where decompressing
    /// the bzip2 file costs about a CPU second, a third of a silo's start-up. Without a usable directory: <see cref="Load"/>.
    /// </summary>
    public static UnihanMandarinReadings LoadCached(string bz2Path, string? cacheDirectory)
    {
        var source = new FileInfo(bz2Path);
        if (cacheDirectory is null || !source.Exists) return Load(bz2Path);
        var cached = Path.Combine(cacheDirectory, $"unihan-kmandarin-{source.Length}-{source.LastWriteTimeUtc.Ticks}.txt");
        try
        {
            using var copy = new FileStream(cached, FileMode.Open, FileAccess.Read, FileShare.Read);
            // An empty copy (say, truncated by hand) is made again rather than leaving Mandarin without readings.
            if (Parse(copy) is { Count: > 0 } fromCopy) return fromCopy;
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException) { }

        var temporary = $"{cached}.{Environment.ProcessId}.tmp";
        try
        {
            Directory.CreateDirectory(cacheDirectory);
            UnihanMandarinReadings readings;
            using (var keep = new FileStream(temporary, FileMode.Create, FileAccess.Write))
            using (var file = new FileStream(bz2Path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan))
            using (var text = new Bzip2DecompressionStream(file))
                readings = Parse(text, keep);
            // Whole or not at all: silos starting together each write their own file and rename it into place.
            File.Move(temporary, cached, overwrite: true);
            return readings;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            try { File.Delete(temporary); } catch (Exception again) when (again is IOException or UnauthorizedAccessException) { }
            return Load(bz2Path);
        }
    }

    /// <summary>
    /// Parses UTF-8 Unihan text: <c>U+4E2D&lt;TAB&gt;kMandarin&lt;TAB&gt;zhōng</c>, keeping the first value.
    /// Other fields and comments are skipped; the <c>kMandarin</c> lines are copied to <paramref name="keep"/> when given.
    /// </summary>
    public static UnihanMandarinReadings Parse(Stream utf8, Stream? keep = null)
    {
        var builder = new Builder(keep);
        var buffer = new byte[ChunkSize];
        var filled = 0;
        while (true)
        {
            var read = utf8.ReadAtLeast(buffer.AsSpan(filled), buffer.Length - filled, throwOnEndOfStream: false);
            var data = buffer.AsSpan(0, filled + read);
            var atEnd = read == 0;
            // Only complete lines are scanned; the partial last line waits for the next chunk.
            var complete = atEnd ? data.Length : data.LastIndexOf((byte)'\n') + 1;
            if (complete == 0 && data.Length == buffer.Length)
                throw new InvalidDataException("Unihan line longer than the read buffer.");

            builder.AddLines(data[..complete]);
            if (atEnd)
                break;
            data[complete..].CopyTo(buffer);
            filled = data.Length - complete;
        }
        return new UnihanMandarinReadings(builder.Build());
    }

    public bool TryGetReading(int codePoint, [NotNullWhen(true)] out string? reading) =>
        _readings.TryGetValue(codePoint, out reading);

    public bool TryGetReading(Rune rune, [NotNullWhen(true)] out string? reading) =>
        _readings.TryGetValue(rune.Value, out reading);

    /// <summary>Every distinct numbered syllable in the table.</summary>
    public IReadOnlySet<string> DistinctSyllables() => _readings.Values.ToHashSet(StringComparer.Ordinal);

    private sealed class Builder(Stream? keep)
    {
        private readonly Dictionary<int, string> _readings = new(45_000);
        // About 1,300 distinct numbered syllables cover all 40k characters: share one string per syllable.
        private readonly Dictionary<string, string> _syllables = new(2_048, StringComparer.Ordinal);

        public void AddLines(ReadOnlySpan<byte> lines)
        {
            // kMandarin is one line in six: find it with a vectorised search rather than splitting every line.
            var field = "\tkMandarin\t"u8;
            while (true)
            {
                var at = lines.IndexOf(field);
                if (at < 0)
                    return;
                var start = lines[..at].LastIndexOf((byte)'\n') + 1;
                var length = lines[at..].IndexOf((byte)'\n');
                var end = length < 0 ? lines.Length : at + length;
                Add(lines[start..at], lines[(at + field.Length)..end]);
                if (keep is not null)
                {
                    keep.Write(lines[start..end]);
                    keep.WriteByte((byte)'\n');
                }
                lines = lines[Math.Min(end + 1, lines.Length)..];
            }
        }

        public Dictionary<int, string> Build()
        {
            _readings.TrimExcess();
            return _readings;
        }

        private void Add(ReadOnlySpan<byte> codePoint, ReadOnlySpan<byte> values)
        {
            if (!codePoint.StartsWith("U+"u8)
                || !int.TryParse(codePoint[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
                return;

            var space = values.IndexOfAny((byte)' ', (byte)'\r');
            var first = space < 0 ? values : values[..space];
            Span<char> marked = stackalloc char[PinyinToneNumbers.MaxSyllableLength + 1];
            if (first.Length > 4 * marked.Length
                || !Encoding.UTF8.TryGetChars(first, marked, out var markedLength))
                return;

            Span<char> numbered = stackalloc char[PinyinToneNumbers.MaxSyllableLength + 1];
            if (!PinyinToneNumbers.TryConvert(marked[..markedLength], numbered, out var numberedLength))
                return;

            var lookup = _syllables.GetAlternateLookup<ReadOnlySpan<char>>();
            if (!lookup.TryGetValue(numbered[..numberedLength], out var shared))
            {
                shared = new string(numbered[..numberedLength]);
                _syllables.Add(shared, shared);
            }
            _readings[value] = shared;
        }
    }
}

using System.Diagnostics;
using System.Text;
using Orleans.Tts.Synthesis.Text.Chinese;
using Xunit.Abstractions;

namespace Orleans.Tts.Engine.Tests.Chinese;

[Collection(MandarinCollection.Name)]
public sealed class UnihanMandarinReadingsTests(MandarinFixture fixture, ITestOutputHelper output)
{
    [Theory]
    [InlineData('中', "zhong1")]
    [InlineData('文', "wen2")]
    [InlineData('好', "hao3")]
    [InlineData('是', "shi4")]
    [InlineData('的', "de5")]
    [InlineData('女', "nv3")]
    [InlineData('绿', "lv4")]
    [InlineData('略', "lve4")]
    [InlineData('都', "dou1")]
    [InlineData('地', "de5")]
    public void Takes_the_first_kMandarin_reading_with_tone_numbers(char han, string expected)
    {
        Assert.True(fixture.Readings.TryGetReading(han, out var reading));
        Assert.Equal(expected, reading);
    }

    [Fact]
    public void Reads_characters_outside_the_basic_plane()
    {
        Assert.True(fixture.Readings.TryGetReading(0x20000, out var reading)); // 𠀀
        Assert.Equal("he1", reading);
    }

    [Fact]
    public void Loads_about_forty_thousand_characters()
    {
        Assert.InRange(fixture.Readings.Count, 40_000, 60_000);
    }

    [Fact]
    public void Has_no_reading_for_letters_or_kana()
    {
        Assert.False(fixture.Readings.TryGetReading('A', out _));
        Assert.False(fixture.Readings.TryGetReading('あ', out _));
    }

    [Fact]
    public void Parses_only_kMandarin_lines_and_their_first_value()
    {
        var text = """
            # comment U+0000	kMandarin	a
            U+4E2D	kCantonese	zung1
            U+4E2D	kMandarin	zhōng
            U+90FD	kMandarin	dōu dū
            U+5730	kMandarinX	dì
            U+5730	kDefinition	earth; soil, ground; region
            """;

        var readings = UnihanMandarinReadings.Parse(new MemoryStream(Encoding.UTF8.GetBytes(text)));

        Assert.Equal(2, readings.Count);
        Assert.True(readings.TryGetReading('都', out var du));
        Assert.Equal("dou1", du);
        Assert.False(readings.TryGetReading('地', out _));
    }

    [Fact]
    public void Shares_one_string_per_syllable()
    {
        Assert.True(fixture.Readings.TryGetReading('是', out var shi));
        Assert.True(fixture.Readings.TryGetReading('事', out var shiToo));
        Assert.Same(shi, shiToo);
        Assert.InRange(fixture.Readings.DistinctSyllables().Count, 1_000, 2_000);
    }

    [Fact]
    public void A_cached_copy_of_the_kMandarin_lines_gives_the_same_readings_and_serves_the_next_load()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"unihan-cache-{Guid.NewGuid():n}");
        try
        {
            var first = UnihanMandarinReadings.LoadCached(UnihanMandarinReadings.DebianPath, directory);
            var copy = Assert.Single(Directory.GetFiles(directory));
            Assert.Equal(fixture.Readings.Count, first.Count);
            Assert.True(first.TryGetReading('中', out var zhong) && zhong == "zhong1");
            // Only the kMandarin lines are kept: a small fraction of the 6 MB text.
            Assert.InRange(new FileInfo(copy).Length, 100_000, 2_000_000);

            var again = UnihanMandarinReadings.LoadCached(UnihanMandarinReadings.DebianPath, directory);
            Assert.Equal(first.Count, again.Count);
            Assert.Equal(first.DistinctSyllables().Order(StringComparer.Ordinal), again.DistinctSyllables().Order(StringComparer.Ordinal));

            // The next load reads the copy, not the bzip2 file: a changed copy shows.
            File.WriteAllText(copy, "U+4E2D\tkMandarin\tzhòng\n");
            var fromCopy = UnihanMandarinReadings.LoadCached(UnihanMandarinReadings.DebianPath, directory);
            Assert.Equal(1, fromCopy.Count);
            Assert.True(fromCopy.TryGetReading('中', out var zhong4) && zhong4 == "zhong4");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void An_unwritable_cache_directory_falls_back_to_reading_the_bzip2_file()
    {
        var readings = UnihanMandarinReadings.LoadCached(UnihanMandarinReadings.DebianPath, "/proc/no-such-place");
        Assert.Equal(fixture.Readings.Count, readings.Count);
    }

    [Fact]
    public void Missing_file_tells_which_Debian_package_to_install()
    {
        var error = Assert.Throws<FileNotFoundException>(() => MandarinFrontEnd.Load("/nonexistent/Unihan_Readings.txt.bz2"));

        Assert.Contains("install Debian package unicode-data", error.Message);
    }

    [Fact]
    public void Parses_lines_that_straddle_read_chunks_and_CRLF_endings()
    {
        var text = new StringBuilder();
        for (var cp = 0x4E00; cp < 0x4E00 + 20_000; cp++)
            text.Append($"U+{cp:X4}\tkDefinition\tpadding text to push lines across chunk boundaries\r\n")
                .Append($"U+{cp:X4}\tkMandarin\tzhōng\r\n");

        var readings = UnihanMandarinReadings.Parse(new MemoryStream(Encoding.UTF8.GetBytes(text.ToString())));

        Assert.Equal(20_000, readings.Count);
        Assert.All(Enumerable.Range(0x4E00, 20_000), cp =>
        {
            Assert.True(readings.TryGetReading(cp, out var reading));
            Assert.Equal("zhong1", reading);
        });
    }

    [Fact]
    public void Reads_a_last_line_without_a_newline()
    {
        var readings = UnihanMandarinReadings.Parse(new MemoryStream(Encoding.UTF8.GetBytes("U+4E2D\tkMandarin\tzhōng")));

        Assert.True(readings.TryGetReading('中', out var reading));
        Assert.Equal("zhong1", reading);
    }

    [Fact]
    public void Loads_the_Debian_table_quickly()
    {
        var before = GC.GetAllocatedBytesForCurrentThread();
        var watch = Stopwatch.StartNew();
        var readings = UnihanMandarinReadings.Load(UnihanMandarinReadings.DebianPath);
        watch.Stop();
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        output.WriteLine($"{readings.Count} readings in {watch.ElapsedMilliseconds} ms, {allocated / 1024 / 1024} MiB allocated while loading");
        // Most of the time is libbz2 itself (about as long as `bzip2 -dc`). The bound is loose because wall-clock
        // time on a busy build machine says little; it catches a pathological parser, not a slow CPU.
        Assert.InRange(watch.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(15));
    }
}

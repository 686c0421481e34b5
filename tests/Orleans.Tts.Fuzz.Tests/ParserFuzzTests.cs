using System.Text;
using Orleans.Tts.Speech.Ssml;
using Orleans.Tts.Fuzz;
using Orleans.Tts.Synthesis.Engines.Kokoro;
using Orleans.Tts.Synthesis.Engines.Piper;
using Orleans.Tts.Synthesis.Text;
using Orleans.Tts.Synthesis.Text.Normalization;

namespace Orleans.Tts.Fuzz.Tests;

/// <summary>
/// Every parser of uploaded or client data, fed seeded hostile input in process: each must succeed or throw its
/// documented exception with a message, and never hang (a generous deadline cancels the run and names the input).
/// </summary>
public sealed class ParserFuzzTests : IDisposable
{
    private static readonly TimeSpan Deadline = TimeSpan.FromMinutes(3);
    private readonly string _directory = Directory.CreateTempSubdirectory("tts-parser-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    /// <summary>Runs <paramref name="check"/> on each input off the test thread; a hang fails with the input being parsed.</summary>
    private static async Task ForEachAsync<T>(IEnumerable<T> inputs, Action<T> check)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        var current = default(T);
        var run = Task.Run(() =>
        {
            foreach (var input in inputs)
            {
                deadline.Token.ThrowIfCancellationRequested();
                current = input;
                check(input);
            }
        }, deadline.Token);
        try { await run.WaitAsync(deadline.Token); }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            throw new Xunit.Sdk.XunitException($"The parser did not finish within {Deadline}; it was working on: {Describe(current)}");
        }
    }

    private static string Describe<T>(T? input) => input switch
    {
        string s => s.Length > 300 ? s[..300] + $"… ({s.Length} chars)" : s,
        byte[] b => $"{b.Length} bytes",
        _ => input?.ToString() ?? "null",
    };

    private static void Throws<TException>(Action parse, string input) where TException : Exception
    {
        try { parse(); }
        catch (TException e)
        {
            Assert.False(string.IsNullOrWhiteSpace(e.Message), $"{typeof(TException).Name} without a message for: {Describe(input)}");
        }
        catch (Exception e)
        {
            throw new Xunit.Sdk.XunitException($"{e.GetType().Name} instead of {typeof(TException).Name} for: {Describe(input)}{Environment.NewLine}{e}");
        }
    }

    [Fact]
    public async Task Ssml_parser_answers_every_hostile_document_with_a_document_or_an_SsmlException_with_a_position()
    {
        var random = new Random(11);
        var parser = new SsmlParser(SsmlLimits.Default);
        var documents = Enumerable.Range(0, 4000).Select(_ => SsmlCases.Next(random)).ToList();

        await ForEachAsync(documents, ssml => Throws<SsmlException>(() =>
        {
            try { parser.Parse(ssml, "en-us"); }
            catch (SsmlException e) when (e.Error.Line < 1 || e.Error.Column < 1) { throw new InvalidOperationException($"position {e.Error.Line}:{e.Error.Column}"); }
        }, ssml));
    }

    [Theory]
    [InlineData("<speak>Hi.</speak>\r\n")]
    [InlineData("<?xml version=\"1.0\"?>\n\n<speak>Hi.</speak>")]
    public void Ssml_white_space_outside_the_root_is_ignored(string ssml)
    {
        var document = new SsmlParser(SsmlLimits.Default).Parse(ssml, "en-us");

        Assert.Equal("Hi.", Assert.Single(document.Segments.OfType<Orleans.Tts.Synthesis.SpokenSegment>()).Text.Trim());
    }

    private const string ValidPiperConfig = """
        {"audio":{"sample_rate":22050},"espeak":{"voice":"en-us"},"phoneme_type":"espeak","language":{"code":"en_US"},
         "inference":{"noise_scale":0.667,"length_scale":1,"noise_w":0.8,"phoneme_silence":{".":0.2}},
         "phoneme_id_map":{"_":[0],"^":[1],"$":[2],"a":[3],"b":[4,5]},"num_speakers":2,"speaker_id_map":{"alice":0,"bob":1}}
        """;

    [Fact]
    public async Task Piper_config_parser_throws_only_InvalidDataException_naming_what_is_wrong()
    {
        var random = new Random(12);
        var configs = Enumerable.Range(0, 4000).Select(_ => MutatePiperConfig(random)).ToList();

        await ForEachAsync(configs, json => Throws<InvalidDataException>(() => PiperConfig.Parse(json), json));
    }

    private static string MutatePiperConfig(Random random)
    {
        var json = ValidPiperConfig;
        for (var i = random.Next(1, 4); i > 0; i--)
        {
            var values = new[] { "22050", "0.667", "0.2", "2", "0", "1", "\"en-us\"", "\"espeak\"", "\"en_US\"", "[0]", "[3]", "[4,5]" };
            var target = random.Pick(values);
            var at = json.IndexOf(target, StringComparison.Ordinal);
            json = random.Next(7) switch
            {
                0 or 1 when at >= 0 => json[..at] + random.Pick([.. HostileText.NumberLiterals, .. HostileText.BadLiterals, "null", "true", "\"\"", "[]", "{}", "[-1]", "[1e400]", "[\"x\"]", "\"\\ud800\"", "2000000000", "-5", JsonBodies.Deep(random, 2000)]) + json[(at + target.Length)..],
                2 => json[..random.Next(json.Length)],
                3 => json.Replace("\"a\":", random.Pick(["\"ab\":", "\"\":", "\"\\ud800\":", "\"👍\":", "\"a\":[0],\"a\":"]), StringComparison.Ordinal),
                4 => json.Replace(random.Pick(["\"_\":[0],", "\"^\":[1],", "\"$\":[2],", "\"espeak\":{\"voice\":\"en-us\"},", "\"phoneme_id_map\":"]), "", StringComparison.Ordinal),
                5 => random.Pick(["", "null", "[]", "42", "\"x\"", "{", JsonBodies.Deep(random, 5000), "{\"phoneme_id_map\":" + JsonBodies.Value(random, 3) + "}"]),
                _ => json.Insert(random.Next(json.Length), random.Pick(HostileText.OddCharacters)),
            };
        }
        return json;
    }

    [Fact]
    public void Piper_config_declaring_two_billion_speakers_is_refused_before_listing_them()
    {
        var json = """{"espeak":{"voice":"en-us"},"phoneme_id_map":{"_":[0],"^":[1],"$":[2]},"num_speakers":2000000000}""";

        var error = Assert.Throws<InvalidDataException>(() => PiperConfig.Parse(json));

        Assert.Contains("num_speakers 2000000000", error.Message);
        Assert.Contains(PiperConfig.MaxSpeakers.ToString(), error.Message);
    }

    [Theory]
    [InlineData("""{"audio":{"sample_rate":1e400},"espeak":{"voice":"en-us"},"phoneme_id_map":{"_":[0],"^":[1],"$":[2]}}""", "sample_rate")]
    [InlineData("""{"espeak":{"voice":"en-us"},"inference":{"noise_scale":-1e999},"phoneme_id_map":{"_":[0],"^":[1],"$":[2]}}""", "noise_scale")]
    [InlineData("""{"espeak":{"voice":"en-us"},"inference":{"phoneme_silence":{".":1e400}},"phoneme_id_map":{"_":[0],"^":[1],"$":[2]}}""", "phoneme_silence")]
    [InlineData("""{"espeak":{"voice":"en-us"},""", "not valid JSON")]
    public void Piper_config_with_a_number_beyond_double_or_broken_json_is_an_InvalidDataException_naming_it(string json, string named)
    {
        var error = Assert.Throws<InvalidDataException>(() => PiperConfig.Parse(json));

        Assert.Contains(named, error.Message);
    }

    [Fact]
    public async Task Kokoro_voice_table_reader_refuses_every_malformed_file_with_InvalidDataException()
    {
        var random = new Random(13);
        var files = Enumerable.Range(0, 300).Select(i =>
        {
            var bytes = random.Next(6) switch
            {
                0 => new byte[random.Next(0, 3000)],
                1 => new byte[KokoroVoiceTable.StyleDim * 4 * random.Next(1, 600) + random.Pick([-1, 1, 3, 0])],
                2 => Enumerable.Repeat(random.Pick<byte[]>([[0, 0, 0xc0, 0x7f], [0, 0, 0x80, 0x7f], [0, 0, 0x80, 0xff]]), 256 * random.Next(1, 5)).SelectMany(b => b).ToArray(),
                _ => new byte[KokoroVoiceTable.StyleDim * 4 * random.Next(1, 20)],
            };
            random.NextBytes(bytes.AsSpan(0, random.Next(bytes.Length + 1)));
            var path = Path.Combine(_directory, $"v{i}.bin");
            File.WriteAllBytes(path, bytes);
            return path;
        }).ToList();

        var loaded = 0;
        await ForEachAsync(files, path => Throws<InvalidDataException>(() =>
        {
            var table = KokoroVoiceTable.Load(path);
            Assert.Equal(new FileInfo(path).Length / (KokoroVoiceTable.StyleDim * 4), table.Rows);
            Assert.All(table.Row(int.MaxValue), v => Assert.True(float.IsFinite(v)));
            loaded++;
        }, path));
        Assert.InRange(loaded, 1, files.Count - 1); // some random tables are whole and finite, most are not
    }

    [Fact]
    public void Kokoro_voice_table_larger_than_the_limit_is_refused_without_being_read()
    {
        var path = Path.Combine(_directory, "huge.bin");
        using (var file = File.Create(path)) file.SetLength(64L * 1024 * 1024 * 1024); // sparse: 64 GiB announced, nothing written

        var error = Assert.Throws<InvalidDataException>(() => KokoroVoiceTable.Load(path));

        Assert.Contains(KokoroVoiceTable.MaxBytes.ToString(), error.Message);
    }

    [Fact]
    public async Task Normalisers_and_sentence_splitter_accept_any_unicode_and_keep_pieces_bounded_and_whole()
    {
        var random = new Random(14);
        var splitter = new SentenceSplitter(300);
        var texts = Enumerable.Range(0, 3000).Select(_ => HostileUnicode(random)).ToList();

        await ForEachAsync(texts, text =>
        {
            foreach (var language in new[] { "en-us", "cmn", "de", "ja", "yue", "ar", "" })
            {
                var normalised = SpeechTextNormalizer.Default.Normalize(text, language);
                Assert.NotNull(normalised);
                foreach (var sentence in splitter.Split(normalised))
                {
                    Assert.InRange(sentence.Length, 1, splitter.MaxSentenceChars);
                    // A cut never falls inside a surrogate pair that the text had whole.
                    if (!HasLoneSurrogate(normalised)) Assert.False(HasLoneSurrogate(sentence), $"split inside a pair: {Describe(text)}");
                }
            }
        });
    }

    private static bool HasLoneSurrogate(string text)
    {
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1])) i++;
            else if (char.IsSurrogate(text[i])) return true;
        }
        return false;
    }

    /// <summary>Digits, separators, currency and units next to controls, bidi marks, CJK, emoji and lone surrogates.</summary>
    private static string HostileUnicode(Random random)
    {
        var text = new StringBuilder();
        var parts = random.Pick([1, 5, 20, 200]);
        for (var i = 0; i < parts; i++)
        {
            text.Append(random.Next(8) switch
            {
                0 => random.Pick(HostileText.OddCharacters),
                1 => random.Pick(HostileText.NumberLiterals),
                2 => random.Pick(["$", "€", "¥", "%", "km/h", "°C", "3/4", "1st", "2nd", "12:30", "2026-11-22", "+1 (555) 010-9999", "www.x.io", "a@b.c", "Dr.", "No.", "...", "—", "，", "。", "！", "一", "不", "零"]),
                3 => char.ConvertFromUtf32(random.Next(0x20, 0x2ffff) is var cp && cp is >= 0xd800 and <= 0xdfff ? 0x41 : cp),
                4 => new string((char)random.Next(0xd800, 0xe000), 1),
                5 => new string(random.Pick(['9', '.', ',', '-', ' ', '你', '0']), random.Next(1, 400)),
                6 => " ",
                _ => random.Pick(["Hello", "world", "你好", "今日は", "안녕", "Straße", "naïve"]),
            });
        }
        return text.ToString();
    }
}

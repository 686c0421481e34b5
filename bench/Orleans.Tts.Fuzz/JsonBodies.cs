using System.Text;

namespace Orleans.Tts.Fuzz;

/// <summary>
/// JSON request bodies built from a valid seed object and mutated field by field (wrong types, hostile and huge strings,
/// edge numbers, duplicate and unknown keys, deep nesting), then optionally at the byte level (invalid UTF-8, cuts, flips).
/// </summary>
public static class JsonBodies
{
    /// <summary>A body field: its name and its JSON text.</summary>
    public sealed record Field(string Name, string Json);

    public static List<Field> SpeechSeed(Random random)
    {
        var fields = new List<Field>
        {
            new("input", HostileText.Quote(random.Pick(["Hi.", "Ok", "Hello there.", "42", "你好。", "A.", "Yes"]))),
            new("voice", random.Next(5) == 0
                ? $"{{\"id\":{HostileText.Quote(random.Pick(["alloy", "marin", "espeak:en-us", "de"]))}}}"
                : HostileText.Quote(random.Pick(["alloy", "espeak:en-us", "en-us", "de", "espeak:cmn", "nova", "fable", "cedar"]))),
            new("response_format", HostileText.Quote(random.Pick(["pcm", "wav", "pcm", "wav", "mp3", "opus", "flac", "aac"]))),
        };
        if (random.Next(3) == 0) fields.Add(new("speed", random.Pick(["1", "1.5", "0.5", "4", "0.25"])));
        if (random.Next(4) == 0) fields.Add(new("pitch", random.Pick(["0", "3", "-12", "12"])));
        if (random.Next(5) == 0) fields.Add(new("model", "\"tts-1\""));
        if (random.Next(8) == 0) fields.Add(new("stream_format", random.Pick(["\"sse\"", "\"audio\""])));
        if (random.Next(10) == 0) fields.Add(new("max_wait_ms", random.Pick(["0", "100", "5000"])));
        return fields;
    }

    public static List<Field> SpeakerSeed(Random random)
    {
        var fields = new List<Field> { new("voice", HostileText.Quote(random.Pick(["alloy", "espeak:en-us", "de"]))) };
        if (random.Next(2) == 0) fields.Add(new("id", HostileText.Quote($"fz{random.Next(50)}")));
        if (random.Next(2) == 0) fields.Add(new("speed", random.Pick(["1", "1.2", "0.8"])));
        if (random.Next(3) == 0) fields.Add(new("pitch", random.Pick(["0", "2", "-2"])));
        if (random.Next(3) == 0) fields.Add(new("volume", random.Pick(["1", "0.5", "2"])));
        if (random.Next(5) == 0) fields.Add(new("engine_speaker", "\"0\""));
        return fields;
    }

    /// <summary>Applies one to three field-level mutations.</summary>
    public static void Mutate(Random random, List<Field> fields, IReadOnlyList<string> knownNames)
    {
        var count = random.Next(1, 4);
        for (var i = 0; i < count; i++)
        {
            var name = random.Next(4) == 0 || fields.Count == 0 ? random.Pick(knownNames) : fields[random.Next(fields.Count)].Name;
            switch (random.Next(12))
            {
                case 0: Set(fields, name, Value(random, depth: 3)); break;
                case 1: Set(fields, name, HostileText.Quote(HostileText.Mixed(random, random.Next(1, 8)))); break;
                case 2: Set(fields, name, "\"" + random.Pick(HostileText.SurrogateEscapes) + "Hi\""); break;
                case 3: Set(fields, name, random.Pick(HostileText.NumberLiterals)); break;
                case 4: Set(fields, name, "\"" + random.Pick(HostileText.NumberLiterals) + "\""); break;
                case 5: fields.Add(new(name, Value(random, depth: 2))); break; // duplicate key
                case 6:
                    for (var j = random.Pick([1, 3, 50, 2000]); j > 0; j--)
                        fields.Add(new(random.Next(3) == 0 ? HostileText.Mixed(random, 2) : $"x{random.Next(100000)}", Value(random, depth: 2)));
                    break;
                case 7: Set(fields, name, Deep(random, random.Pick([17, 64, 1000, 10000]))); break;
                case 8: fields.RemoveAll(f => f.Name == name); break;
                case 9: Set(fields, name, Huge(random)); break;
                case 10: Set(fields, name, HostileText.Quote(VoiceLike(random))); break;
                default: Set(fields, name, HostileText.Quote(random.Pick(["", " ", "\t\n", "null", "sse", "audio", "SSE", "wav ", "MP3", "m4a", "pcm16", "opus;x"]))); break;
            }
        }
    }

    /// <summary>Voice ids that poke at the resolver: prefixes, blends, speakers, paths.</summary>
    public static string VoiceLike(Random random) => random.Pick([
        "espeak:", ":", "espeak:klingon", "piper:", "piper:../../etc/passwd", "piper:x#99999999999999999999", "piper:x#-1", "kokoro:",
        "kokoro:af_heart*0.5+af_sky*0.5", "kokoro:af*1e400+bf*-1", "kokoro:a*NaN", "kokoro:+", "kokoro:*", "kokoro:" + string.Join("+", Enumerable.Repeat("af_heart", 20)),
        "af_heart*0+af_sky*0", "speaker:", "speaker:../x", "speaker:" + new string('a', 300), "SPEAKER:fz1", "speaker:fz1", "alloy ", " ALLOY", "fallback,", "en-us\u0000",
        "espeak:en-us\u202e", "%", "*", "+", "#", "espeak:en-us#0", new string('x', random.Pick([257, 5000])), "\ud800",
    ]);

    /// <summary>The body text of <paramref name="fields"/> as one JSON object.</summary>
    public static string Object(IEnumerable<Field> fields) => "{" + string.Join(",", fields.Select(f => HostileText.Quote(f.Name) + ":" + f.Json)) + "}";

    private static void Set(List<Field> fields, string name, string json)
    {
        var i = fields.FindIndex(f => f.Name == name);
        if (i >= 0) fields[i] = new(name, json);
        else fields.Add(new(name, json));
    }

    /// <summary>A random JSON value (valid JSON) up to <paramref name="depth"/> deep.</summary>
    public static string Value(Random random, int depth) => random.Next(depth > 0 ? 8 : 5) switch
    {
        0 => random.Pick(["true", "false", "null"]),
        1 => random.Pick(HostileText.NumberLiterals),
        2 => HostileText.Quote(HostileText.Mixed(random, random.Next(0, 4))),
        3 => "\"\"",
        4 => "\"" + random.Pick(HostileText.SurrogateEscapes) + "\"",
        5 or 6 => "[" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(_ => Value(random, depth - 1))) + "]",
        _ => "{" + string.Join(",", Enumerable.Range(0, random.Next(4)).Select(i => $"\"k{i}\":" + Value(random, depth - 1))) + "}",
    };

    public static string Deep(Random random, int depth)
    {
        var (open, close) = random.Next(3) switch { 0 => ("[", "]"), 1 => ("{\"a\":", "}"), _ => ("[{\"a\":", "}]") };
        var text = new StringBuilder(depth * (open.Length + close.Length) + 8);
        for (var i = 0; i < depth; i++) text.Append(open);
        text.Append('1');
        for (var i = 0; i < depth; i++) text.Append(close);
        return text.ToString();
    }

    /// <summary>Large strings and numbers: around the input limit, around the body limit, and beyond.</summary>
    private static string Huge(Random random)
    {
        var size = random.Pick([4097, 5000, 20000, 60000, 200000]);
        return random.Next(4) switch
        {
            0 => new string('7', size),
            1 => "\"" + string.Concat(Enumerable.Repeat("\\u4f60", size)) + "\"", // always more characters than the input limit
            2 => "\"" + new string('a', size) + "\"",
            _ => "\"" + string.Concat(Enumerable.Repeat("\\ud800", size)) + "\"",
        };
    }

    /// <summary>Byte-level damage to a finished body: invalid UTF-8, cuts, flips, BOMs, trailing garbage, other top-level values.</summary>
    public static byte[] Corrupt(Random random, string json)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var at = random.Next(bytes.Length + 1);
        return random.Next(10) switch
        {
            0 => [.. bytes[..at], .. random.Pick(HostileText.InvalidUtf8), .. bytes[at..]],
            1 => InsideString(random, bytes),
            2 => bytes[..at],
            3 => Flip(random, bytes),
            4 => [0xef, 0xbb, 0xbf, .. bytes],
            5 => [.. bytes, .. Encoding.UTF8.GetBytes(random.Pick(["x", "}", ",", "{}", " // c", "\u0000", "\n\n\n"]))],
            6 => Encoding.UTF8.GetBytes(random.Pick(["null", "[]", "\"text\"", "42", "true", "[{\"input\":\"Hi\"}]", "{", "}", "{\"input\":\"Hi\",}", "{'input':'Hi'}", "{input:\"Hi\"}", "{\"input\":\"Hi\" /* c */}", " ", "\u0000"])),
            7 => Encoding.Unicode.GetBytes(json), // UTF-16 while saying UTF-8
            8 => Encoding.UTF8.GetBytes(random.Pick(HostileText.BadLiterals) is var bad ? json.Replace("1", bad, StringComparison.Ordinal) : json),
            _ => Encoding.UTF8.GetBytes(Deep(random, random.Pick([65, 1000, 10000, 50000]))),
        };
    }

    private static byte[] InsideString(Random random, byte[] bytes)
    {
        var quotes = Enumerable.Range(0, bytes.Length).Where(i => bytes[i] == (byte)'"').ToList();
        var at = quotes.Count > 0 ? quotes[random.Next(quotes.Count)] + 1 : 0;
        return [.. bytes[..at], .. random.Pick(HostileText.InvalidUtf8), .. bytes[at..]];
    }

    private static byte[] Flip(Random random, byte[] bytes)
    {
        var copy = (byte[])bytes.Clone();
        for (var i = random.Next(1, 4); i > 0 && copy.Length > 0; i--) copy[random.Next(copy.Length)] ^= (byte)(1 << random.Next(8));
        return copy;
    }
}

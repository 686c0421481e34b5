using System.Text;
using Orleans.Tts.Speech;

namespace Orleans.Tts.Fuzz;

/// <summary>How a command is sent through the Orleans client.</summary>
public enum CommandMode
{
    /// <summary><c>SynthesizeAsync</c>: the whole file.</summary>
    Whole,
    /// <summary><c>StreamAsync</c>, read to the end.</summary>
    Stream,
    /// <summary><c>StreamAsync</c>, left after its first chunk (a client that goes away).</summary>
    LeaveStream,
    /// <summary><c>SynthesizeAsync</c> cancelled by the caller after a few milliseconds.</summary>
    Cancel,
}

/// <summary>One hostile (or valid) record for the Orleans client's entry point.</summary>
public sealed record CommandCase(long Index, string Category, SpeechCommand Command, CommandMode Mode, int CancelAfterMs)
{
    public string Preview(int max = 300)
    {
        static string Show(object? value, int max) => value switch
        {
            null => "null",
            string s => s.Length <= max ? Escape(s) : $"{Escape(s[..max])}… ({s.Length} chars)",
            double d => d.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            _ => value.ToString() ?? "",
        };
        var c = Command;
        return $"{Mode} input={Show(c.Input, max)} voice={Show(c.Voice, 60)} format={Show(c.ResponseFormat, 40)} speed={Show(c.Speed, 0)} " +
            $"pitch={Show(c.Pitch, 0)} model={Show(c.Model, 40)} maxWaitMs={Show(c.MaxWaitMs, 0)} caller={Show(c.Caller, 40)} timestamps={Show(c.Timestamps, 40)}";
    }

    private static string Escape(string s)
    {
        var text = new StringBuilder(s.Length + 2).Append('"');
        foreach (var ch in s) text.Append(ch < 0x20 || char.IsSurrogate(ch) || ch is '"' or '\\' ? $"\\u{(int)ch:x4}" : ch.ToString());
        return text.Append('"').ToString();
    }
}

/// <summary>
/// Seeded <see cref="SpeechCommand"/> records as another .NET service could send them: each category starts from a valid
/// command and breaks one part of it (or all of them); strings hold what JSON could not carry (lone surrogates, NUL).
/// </summary>
public sealed class CommandGenerator(int seed)
{
    private static readonly string[] Sentences =
    [
        "Hello there.", "The river runs past the hill.", "It costs $12.50 on 2026-12-07.", "你好，世界。", "こんにちは。",
        "Hello 你好 mixed.", "Dr. Smith lives at 221B Baker St.", "Call 555-0100 at 9:30.", "3/4 of 1,000 is 750.", "Ok.",
    ];

    private static readonly string[] Voices = ["alloy", "nova", "marin", "cedar", "espeak:en-us", "espeak:cmn", "espeak:ja", "espeak:yue", "espeak:ko"];
    private static readonly string[] Formats = ["mp3", "wav", "opus", "aac", "flac", "pcm"];

    private static readonly (string Name, int Weight, Func<Random, SpeechCommand, SpeechCommand> Break)[] Categories =
    [
        ("valid", 10, (_, c) => c),
        ("input", 16, (r, c) => c with { Input = HostileInput(r) }),
        ("ssml", 8, (r, c) => c with { Input = HostileSsml(r) }),
        ("voice", 10, (r, c) => c with { Voice = HostileVoice(r) }),
        ("format", 8, (r, c) => c with { ResponseFormat = HostileWord(r, Formats) }),
        ("numbers", 12, (r, c) => r.Next(3) switch
        {
            0 => c with { Speed = HostileNumber(r) },
            1 => c with { Pitch = HostileNumber(r) },
            _ => c with { MaxWaitMs = HostileNumber(r) },
        }),
        ("model", 4, (r, c) => c with { Model = HostileWord(r, ["tts-1", "tts-1-hd", "gpt-4o-mini-tts"]) }),
        ("caller", 5, (r, c) => c with { Caller = HostileWord(r, ["app", "billing-service"]) }),
        ("timestamps", 5, (r, c) => c with { Timestamps = HostileWord(r, ["word"]) }),
        ("everything", 12, (r, _) => new SpeechCommand(HostileInput(r), HostileVoice(r), HostileWord(r, Formats), HostileNumber(r), HostileNumber(r),
            HostileWord(r, ["tts-1"]), HostileNumber(r), HostileWord(r, ["app"]), HostileWord(r, ["word"]))),
    ];

    public static IReadOnlyList<string> CategoryNames { get; } = Categories.Select(c => c.Name).ToList();

    public CommandCase Case(long index)
    {
        var random = new Random(CaseGenerator.CaseSeed(seed, index));
        var valid = new SpeechCommand(random.Pick(Sentences), random.Pick(Voices), random.Pick(Formats),
            Speed: random.Next(3) == 0 ? 0.5 + random.NextDouble() * 2 : null, Timestamps: random.Next(6) == 0 ? "word" : null);
        var mode = random.Next(20) switch { < 11 => CommandMode.Whole, < 16 => CommandMode.Stream, < 18 => CommandMode.LeaveStream, _ => CommandMode.Cancel };
        var pick = random.Next(Categories.Sum(c => c.Weight));
        foreach (var (name, weight, make) in Categories)
        {
            if (pick < weight) return new CommandCase(index, name, make(random, valid), mode, random.Next(0, 300));
            pick -= weight;
        }
        throw new InvalidOperationException("unreachable");
    }

    private static string? HostileInput(Random r) => r.Next(14) switch
    {
        0 => null,
        1 => r.Pick(["", " ", "\t\n", "\u200b", "\u3000\u3000"]),
        2 => HostileText.Mixed(r, r.Next(1, 12)),
        3 => new string(r.Pick(["a", "。", ".", "9", "\u0301", "\U0001f600"])[0], r.Next(4097, 120_000)),
        4 => string.Concat(Enumerable.Repeat(r.Pick(Sentences) + " ", r.Next(2, 6))),
        5 => "x\ud800y" + r.Pick(Sentences) + "\udc00",
        6 => "\0" + r.Pick(Sentences) + "\0\0",
        7 => new string('9', r.Next(20, 400)),
        8 => string.Concat(Enumerable.Range(0, r.Next(1, 30)).Select(_ => r.Pick(HostileText.OddCharacters))),
        9 => r.Pick(["...", "?!", "-", "—", "()", "[]", "$", "%", "&", "#"]),
        10 => r.Pick(HostileText.NumberLiterals) + " " + r.Pick(HostileText.NumberLiterals),
        11 => r.Pick(["Mr.", "e.g.", "U.S.A.", "1st 2nd 3rd", "12:61", "2026-13-45", "$-0.00", "∞", "½ ⅓ ¼"]),
        12 => "<speak>" + r.Pick(Sentences) + "</speak>",
        _ => r.Pick(Sentences),
    };

    private static string HostileSsml(Random r) => r.Next(10) switch
    {
        0 => "<speak>" + new string('<', r.Next(1, 50)),
        1 => string.Concat(Enumerable.Repeat("<speak><p>", r.Next(1, 400))) + "Deep.",
        2 => "<speak><break time=\"" + r.Pick(["99999999s", "-1s", "NaNms", "1e308ms", "", "x"]) + "\"/>Hi.</speak>",
        3 => "<speak><prosody rate=\"" + r.Pick(["x-fast", "1000%", "-5%", "NaN", "0%", "1e400%"]) + "\" pitch=\"" + r.Pick(["+200st", "-99%", "high", "∞"]) + "\">Hi.</prosody></speak>",
        4 => "<!DOCTYPE speak [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]><speak>&b;&b;&b;</speak>",
        5 => "<speak><say-as interpret-as=\"" + r.Pick(["characters", "cardinal", "date", "telephone", "nonsense", ""]) + "\">" + HostileText.Mixed(r, 4) + "</say-as></speak>",
        6 => "<speak><voice name=\"" + r.Pick(["no-such", "espeak:cmn", "", "speaker:x", new string('v', 5000)]) + "\">Hi.</voice></speak>",
        7 => "<speak><sub alias=\"" + HostileText.Mixed(r, 3).Replace("\"", "") + "\">x</sub></speak>\r\n",
        8 => "<speak xmlns=\"http://www.w3.org/2001/10/synthesis\"><audio src=\"file:///etc/passwd\"/>Hi.</speak>",
        _ => "<speak>" + r.Pick(Sentences) + "<break time=\"" + r.Next(0, 20_000) + "ms\"/>" + r.Pick(Sentences) + "</speak>",
    };

    private static string? HostileVoice(Random r) => r.Next(10) switch
    {
        0 => null,
        1 => "",
        2 => r.Pick(["no-such-voice", "ALLOY", " alloy", "alloy\0", "espeak:", "espeak:xx-yy", "piper:../../etc/passwd", "kokoro:af+bf", "onnx:"]),
        3 => "speaker:" + r.Pick(["", "nobody", "../x", "\ud800", new string('s', 5000)]),
        4 => new string('v', r.Next(100, 70_000)),
        5 => HostileText.Mixed(r, r.Next(1, 6)),
        6 => r.Pick(Voices).ToUpperInvariant(),
        _ => r.Pick(Voices),
    };

    private static string? HostileWord(Random r, string[] valid) => r.Next(8) switch
    {
        0 => null,
        1 => "",
        2 => r.Pick(valid).ToUpperInvariant(),
        3 => new string('w', r.Next(65, 70_000)),
        4 => HostileText.Mixed(r, r.Next(1, 5)),
        5 => r.Pick(valid) + r.Pick(["\0", " ", "\n", "\ud800"]),
        _ => r.Pick(valid),
    };

    private static double? HostileNumber(Random r) => r.Next(10) switch
    {
        0 => null,
        1 => double.NaN,
        2 => r.Next(2) == 0 ? double.PositiveInfinity : double.NegativeInfinity,
        3 => r.Pick([double.MaxValue, double.MinValue, double.Epsilon, -double.Epsilon, 1e308, -1e308]),
        4 => r.Pick([0.0, -0.0, -1.0, 0.2499999999, 4.0000000001, 12.000001, -12.000001]),
        5 => (r.NextDouble() - 0.5) * Math.Pow(10, r.Next(0, 20)),
        _ => r.NextDouble() * 4,
    };
}

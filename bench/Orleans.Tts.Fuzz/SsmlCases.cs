using System.Text;

namespace Orleans.Tts.Fuzz;

/// <summary>SSML documents: valid ones mutated, and every trick (DTDs, entities, XXE, billion laughs, deep nesting, huge breaks…).</summary>
public static class SsmlCases
{
    private static readonly string[] Tricks =
    [
        "<!DOCTYPE speak [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><speak>&c;</speak>",
        "<?xml version=\"1.0\"?><!DOCTYPE speak SYSTEM \"file:///etc/passwd\"><speak>&xxe;</speak>",
        "<?xml version=\"1.0\"?><!doctype speak [<!ENTITY xxe SYSTEM \"http://127.0.0.1:1/\">]><speak>&xxe;</speak>",
        "<speak>&xxe;</speak>", "<speak>&amp;&lt;&gt;&quot;&apos;&#65;&#x42;&#0;&#xD800;&#1114112;</speak>",
        "<speak><![CDATA[Hello <b>world</b>]]></speak>", "<speak><!-- a comment -->Hi<!-- --></speak>", "<speak><?pi data?>Hi</speak>",
        "<?xml version=\"1.0\" encoding=\"UTF-16\"?><speak>Hi</speak>", "<?xml version=\"1.0\" encoding=\"EBCDIC-ish\"?><speak>Hi</speak>",
        "<?xml version=\"9.9\"?><speak>Hi</speak>", "<?xml?><speak>Hi</speak>", "<?xml version=\"1.0\" standalone=\"maybe\"?><speak>Hi</speak>",
        "<speak xmlns=\"http://www.w3.org/2001/10/synthesis\" xml:lang=\"en-US\" version=\"1.1\">Hi</speak>",
        "<speak xmlns=\"urn:evil\">Hi</speak>", "<x:speak xmlns:x=\"http://www.w3.org/2001/10/synthesis\">Hi</x:speak>",
        "<speak><x:break xmlns:x=\"urn:other\"/>Hi</speak>", "<speak xmlns:xi=\"http://www.w3.org/2001/XInclude\"><xi:include href=\"/etc/passwd\"/></speak>",
        "<speak><audio src=\"http://127.0.0.1:1/a.wav\">Hi</audio></speak>", "<speak><mark name=\"m\"/>Hi</speak>", "<speak><phoneme ph=\"h@\">Hi</phoneme></speak>",
        "<speak><emphasis>Hi</emphasis></speak>", "<speak><script>alert(1)</script></speak>", "<speak>Hi<speak>again</speak></speak>",
        "<speak>Hi</speak><speak>two roots</speak>", "<speak>unclosed", "<speak><p>bad</s></speak>", "<speak attr=\"1\" attr=\"2\">Hi</speak>",
        "<speak>Hi</speak>trailing", "<speak><break time=\"999999999999999999999999s\"/>Hi</speak>", "<speak><break time=\"1e400ms\"/>Hi</speak>",
        "<speak><break time=\"NaNs\"/>Hi</speak>", "<speak><break time=\"-5s\"/>Hi</speak>", "<speak><break time=\"Infinityms\"/>Hi</speak>",
        "<speak><break time=\"10s\"/><break time=\"10s\"/><break time=\"10s\"/><break time=\"10s\"/><break time=\"10s\"/><break time=\"10s\"/><break time=\"10s\"/>Hi</speak>",
        "<speak><break strength=\"ultra\"/>Hi</speak>", "<speak><break time=\"\"/>Hi</speak>", "<speak><break time=\"5 s\"/>Hi</speak>", "<speak><break>text</break></speak>",
        "<speak><prosody rate=\"1e400%\">Hi</prosody></speak>", "<speak><prosody rate=\"-50%\">Hi</prosody></speak>", "<speak><prosody rate=\"0%\">Hi</prosody></speak>",
        "<speak><prosody pitch=\"+1e9st\">Hi</prosody></speak>", "<speak><prosody pitch=\"NaN%\">Hi</prosody></speak>", "<speak><prosody volume=\"+1e308dB\">Hi</prosody></speak>",
        "<speak><prosody volume=\"silent\">Hi</prosody></speak>", "<speak><prosody volume=\"-Infinity dB\">Hi</prosody></speak>", "<speak><prosody rate=\"x-fast\" pitch=\"x-high\" volume=\"x-loud\">Hi</prosody></speak>",
        "<speak><say-as interpret-as=\"characters\">ABC</say-as></speak>", "<speak><say-as interpret-as=\"cardinal\">99999999999999999999999999999999999</say-as></speak>",
        "<speak><say-as interpret-as=\"ordinal\">-1e400</say-as></speak>", "<speak><say-as interpret-as=\"date\" format=\"ymd\">9999-99-99</say-as></speak>",
        "<speak><say-as interpret-as=\"date\" format=\"qqq\">2026-11-22</say-as></speak>", "<speak><say-as interpret-as=\"date\">0000-00-00</say-as></speak>",
        "<speak><say-as interpret-as=\"time\">25:61:99</say-as></speak>", "<speak><say-as interpret-as=\"time\">12:30pm</say-as></speak>",
        "<speak><say-as interpret-as=\"telephone\">+1 (555) 010-9999 ext. 99999999999999999999</say-as></speak>", "<speak><say-as interpret-as=\"telephone\"></say-as></speak>",
        "<speak><say-as interpret-as=\"bogus\">1</say-as></speak>", "<speak><say-as>1</say-as></speak>", "<speak><say-as interpret-as=\"cardinal\"><break/></say-as></speak>",
        "<speak><say-as interpret-as=\"characters\">\u202e\u200b</say-as></speak>", "<speak><sub alias=\"\">x</sub></speak>", "<speak><sub>no alias</sub></speak>",
        "<speak><sub alias=\"World\"/></speak>", "<speak><lang xml:lang=\"zz-ZZ\">Hi</lang></speak>", "<speak><lang xml:lang=\"\">Hi</lang></speak>", "<speak><lang>Hi</lang></speak>",
        "<speak><lang xml:lang=\"zh\">你好</lang></speak>", "<speak><voice name=\"nobody\">Hi</voice></speak>", "<speak><voice name=\"speaker:x\">Hi</voice></speak>",
        "<speak><voice name=\"kokoro:af*1e400+bf*-1\">Hi</voice></speak>", "<speak><voice>Hi</voice></speak>", "<speak><voice name=\"en-us\"><voice name=\"de\">Hallo</voice></voice></speak>",
        "<speak></speak>", "<speak/>", "<speak>   </speak>", "<speak><break/></speak>", "<speak>\u0000</speak>", "<speak>\ud800</speak>", "<speak>\u202eHi\u202c</speak>",
        "<speak version=\"1.0\" xml:lang=\"en\"><p><s>One.</s><s>Two.</s></p></speak>", "<SPEAK>Hi</SPEAK>", "< speak>Hi</speak>", "<speak >Hi</speak >", "<speak\n>Hi</speak>",
        "<speak>Hi</speak>\u0000", "<speak>a<b", "<speak>&#x110000;</speak>", "<speak>&unknown;</speak>", "<speak>&#;</speak>", "<speak><![CDATA[", "<?xml version=\"1.0\"?>",
        "<!DOCTYPE html><html></html>", "<?xml version=\"1.0\"?><html/>", "<speak xml:space=\"preserve\">  Hi  </speak>", "<speak xml:lang=\"ja\">日本語</speak>",
    ];

    private static readonly string[] Valid =
    [
        "<speak>Hi.</speak>", "<speak>One <break time=\"100ms\"/> two.</speak>", "<speak><prosody rate=\"fast\">Quick.</prosody></speak>",
        "<speak><say-as interpret-as=\"cardinal\">42</say-as></speak>", "<speak><sub alias=\"World Wide Web\">WWW</sub></speak>",
        "<speak><p><s>A.</s><s>B.</s></p></speak>", "<speak><say-as interpret-as=\"date\" format=\"ymd\">2026-11-22</say-as></speak>",
    ];

    /// <summary>One SSML document for the <c>input</c> field (unescaped).</summary>
    public static string Next(Random random)
    {
        switch (random.Next(10))
        {
            case 0: return Nested(random, random.Pick([17, 20, 100, 1000, 5000]));
            case 1: return Many(random, random.Pick([1001, 2000, 5000]));
            case 2: return Valid[random.Next(Valid.Length)];
            case 3: return Mutate(random, random.Pick(Valid));
            case 4: return BillionLaughs(random);
            case 5: return LongAttribute(random);
            default:
                var trick = random.Pick(Tricks);
                return random.Next(4) == 0 ? Mutate(random, trick) : trick;
        }
    }

    private static string Nested(Random random, int depth)
    {
        var name = random.Pick(["p", "s", "prosody", "voice", "lang", "x"]);
        var text = new StringBuilder("<speak>");
        for (var i = 0; i < depth; i++) text.Append('<').Append(name).Append('>');
        text.Append("Hi");
        if (random.Next(3) > 0) for (var i = 0; i < depth; i++) text.Append("</").Append(name).Append('>');
        return text.Append("</speak>").ToString();
    }

    private static string Many(Random random, int count)
    {
        var element = random.Pick(["<break time=\"1ms\"/>", "<s>a</s>", "<p/>", "<break time=\"10s\"/>"]);
        var text = new StringBuilder("<speak>");
        for (var i = 0; i < count; i++) text.Append(element);
        return text.Append("</speak>").ToString();
    }

    private static string BillionLaughs(Random random)
    {
        var text = new StringBuilder("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">");
        var levels = random.Next(3, 10);
        for (var i = 1; i <= levels; i++)
            text.Append($"<!ENTITY lol{i} \"").Append(string.Concat(Enumerable.Repeat($"&lol{(i == 1 ? "" : (i - 1).ToString())};", 10))).Append("\">");
        return text.Append($"]><speak>&lol{levels};</speak>").ToString();
    }

    private static string LongAttribute(Random random) =>
        $"<speak><{random.Pick(["break time", "prosody rate", "say-as interpret-as", "voice name", "lang xml:lang", "sub alias"])}=\"{new string('9', random.Pick([100, 5000, 60000]))}\">Hi</speak>";

    /// <summary>Cuts, duplicates, or splices hostile characters into a document.</summary>
    private static string Mutate(Random random, string ssml)
    {
        var at = random.Next(ssml.Length + 1);
        return random.Next(5) switch
        {
            0 => ssml[..at],
            1 => ssml.Insert(at, random.Pick(HostileText.OddCharacters)),
            2 => ssml.Insert(at, random.Pick(["<", ">", "&", "\"", "</speak>", "<break/>", "<!--", "]]>", "<?", "<!DOCTYPE x>", "&#0;"])),
            3 => ssml.Remove(at, Math.Min(random.Next(1, 6), ssml.Length - at)),
            _ => ssml + ssml[..at],
        };
    }
}

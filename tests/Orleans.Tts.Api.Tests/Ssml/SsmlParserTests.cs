using Orleans.Tts.Speech.Ssml;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Api.Tests.Ssml;

public sealed class SsmlParserTests
{
    private readonly SsmlParser _parser = new(SsmlLimits.Default);

    private SsmlDocument Parse(string ssml, string language = "en-us") => _parser.Parse(ssml, language);

    private SsmlError Error(string ssml) => Assert.Throws<SsmlException>(() => Parse(ssml)).Error;

    [Fact]
    public void Plain_text_in_speak_is_one_segment_in_the_default_style()
    {
        var segment = Assert.IsType<SpokenSegment>(Assert.Single(Parse("<speak>Hello   there,\n world.</speak>").Segments));
        Assert.Equal("Hello there, world.", segment.Text);
        Assert.Equal(SegmentStyle.Default, segment.Style);
    }

    [Theory]
    [InlineData("<break time=\"500ms\"/>", 0.5)]
    [InlineData("<break time=\"1.5s\"/>", 1.5)]
    [InlineData("<break strength=\"strong\"/>", 0.75)]
    [InlineData("<break strength=\"x-weak\"/>", 0.1)]
    [InlineData("<break/>", 0.5)]
    public void Breaks_become_pauses_between_the_text_around_them(string element, double seconds)
    {
        var segments = Parse($"<speak>One.{element}Two.</speak>").Segments;
        Assert.Equal(3, segments.Count);
        Assert.Equal("One.", Assert.IsType<SpokenSegment>(segments[0]).Text);
        Assert.Equal(TimeSpan.FromSeconds(seconds), Assert.IsType<PauseSegment>(segments[1]).Duration);
        Assert.Equal("Two.", Assert.IsType<SpokenSegment>(segments[2]).Text);
    }

    [Fact]
    public void Nested_prosody_multiplies_rates_adds_pitch_and_multiplies_gain_and_ends_with_its_element()
    {
        var segments = Parse("<speak>a<prosody rate=\"fast\" pitch=\"+2st\" volume=\"-6dB\">b<prosody rate=\"200%\" pitch=\"-1st\">c</prosody></prosody>d</speak>").Segments
            .Cast<SpokenSegment>().ToList();
        Assert.Equal(["a", "b", "c", "d"], segments.Select(s => s.Text));
        Assert.Equal(1.25, segments[1].Style.Rate);
        Assert.Equal(2.5, segments[2].Style.Rate);
        Assert.Equal(2, segments[1].Style.Pitch);
        Assert.Equal(1, segments[2].Style.Pitch);
        Assert.Equal(Math.Pow(10, -6 / 20.0), segments[2].Style.Gain, 6);
        Assert.Equal(SegmentStyle.Default, segments[3].Style);
    }

    [Theory]
    [InlineData("x-slow", 0.5)]
    [InlineData("80%", 0.8)]
    [InlineData("+20%", 1.2)]
    [InlineData("-50%", 0.5)]
    [InlineData("1.5", 1.5)]
    public void Rates_are_keywords_multipliers_or_percentages(string rate, double expected)
    {
        var segment = (SpokenSegment)Parse($"<speak><prosody rate=\"{rate}\">x</prosody></speak>").Segments[0];
        Assert.Equal(expected, segment.Style.Rate, 6);
    }

    [Theory]
    [InlineData("silent", 0.0)]
    [InlineData("+6dB", 1.9953)]
    [InlineData("50", 0.5)]
    [InlineData("x-soft", 0.2512)]
    public void Volumes_are_keywords_decibels_or_levels(string volume, double gain)
    {
        var segment = (SpokenSegment)Parse($"<speak><prosody volume=\"{volume}\">x</prosody></speak>").Segments[0];
        Assert.Equal(gain, segment.Style.Gain, 3);
    }

    [Theory]
    [InlineData("characters", "", "ABC", "A B C")]
    [InlineData("cardinal", "", "1,234", "1234")]
    [InlineData("ordinal", "", "3", "3rd")]
    [InlineData("ordinal", "", "12", "12th")]
    [InlineData("date", "mdy", "11/22/2026", "2026-11-22")]
    [InlineData("date", "dmy", "22.11.2026", "2026-11-22")]
    [InlineData("date", "md", "11-22", "November 22nd")]
    [InlineData("time", "", "13:45", "13:45")]
    [InlineData("telephone", "", "+1 555-0100", "plus 1, 5 5 5, 0 1 0 0")]
    public void Say_as_rewrites_its_content_into_what_the_normaliser_reads_as_intended(string kind, string format, string content, string text)
    {
        var formatAttribute = format.Length > 0 ? $" format=\"{format}\"" : "";
        var segment = (SpokenSegment)Parse($"<speak><say-as interpret-as=\"{kind}\"{formatAttribute}>{content}</say-as></speak>").Segments[0];
        Assert.Equal(text, segment.Text);
    }

    [Fact]
    public void Say_as_ordinal_and_telephone_follow_the_voice_language()
    {
        Assert.Equal("第3", ((SpokenSegment)Parse("<speak><say-as interpret-as=\"ordinal\">3</say-as></speak>", "cmn").Segments[0]).Text);
    }

    [Fact]
    public void Sub_says_its_alias_instead_of_its_content()
    {
        Assert.Equal("the World Wide Web Consortium", ((SpokenSegment)Parse("<speak>the <sub alias=\"World Wide Web Consortium\">W3C</sub></speak>").Segments[0]).Text);
    }

    [Fact]
    public void Voice_and_lang_set_the_voice_name_and_language_of_their_content_and_record_where_they_were_written()
    {
        var document = Parse("<speak>Hi\n<voice name=\"espeak:en-gb\">there</voice> <lang xml:lang=\"fr\">bonjour</lang></speak>");
        var segments = document.Segments.Cast<SpokenSegment>().ToList();
        Assert.Equal("espeak:en-gb", segments[1].Style.VoiceId);
        Assert.Equal("fr", segments[2].Style.Language);
        Assert.Null(segments[2].Style.VoiceId);
        Assert.Equal(new SsmlReference("espeak:en-gb", false, 2, 2), document.References[0]);
        Assert.Equal(new SsmlReference("fr", true, 2, 43), document.References[1]);
    }

    [Fact]
    public void Sentences_and_paragraphs_end_at_their_elements_and_paragraphs_are_separated_by_a_pause()
    {
        var segments = Parse("<speak><p><s>First one</s><s>second one</s></p><p>Next paragraph</p></speak>").Segments;
        Assert.Equal("First one\nsecond one", ((SpokenSegment)segments[0]).Text);
        Assert.IsType<PauseSegment>(segments[1]);
        Assert.Equal("Next paragraph", ((SpokenSegment)segments[2]).Text);
    }

    [Theory]
    [InlineData("<speak>Hi <emphasis>there</emphasis></speak>", "emphasis", 1, 12, "not supported")]
    [InlineData("<speak>\n  <audio src=\"x.wav\"/></speak>", "audio", 2, 4, "Supported SSML elements")]
    [InlineData("<speak><break time=\"forever\"/></speak>", "break", 1, 9, "500ms")]
    [InlineData("<speak><break time=\"11s\"/></speak>", "break", 1, 9, "10 s")]
    [InlineData("<speak><prosody rate=\"10\">x</prosody></speak>", "prosody", 1, 9, "x-slow")]
    [InlineData("<speak><prosody pitch=\"200Hz\">x</prosody></speak>", "prosody", 1, 9, "semitones")]
    [InlineData("<speak><prosody volume=\"+40dB\">x</prosody></speak>", "prosody", 1, 9, "+12dB")]
    [InlineData("<speak><prosody>x</prosody></speak>", "prosody", 1, 9, "at least one")]
    [InlineData("<speak><say-as interpret-as=\"currency\">5</say-as></speak>", "say-as", 1, 9, "characters, spell-out")]
    [InlineData("<speak><say-as interpret-as=\"cardinal\">five</say-as></speak>", "say-as", 1, 9, "expects a number")]
    [InlineData("<speak><sub>W3C</sub></speak>", "sub", 1, 9, "alias")]
    [InlineData("<speak><say-as interpret-as=\"date\" format=\"y\">2026</say-as></speak>", "say-as", 1, 9, "with a month")]
    [InlineData("<speak><say-as interpret-as=\"date\" format=\"mdy\">13/45/2026</say-as></speak>", "say-as", 1, 9, "not a valid date")]
    [InlineData("<speak><say-as interpret-as=\"time\">noon</say-as></speak>", "say-as", 1, 9, "hh:mm")]
    [InlineData("<speak><voice gender=\"female\">x</voice></speak>", "voice", 1, 9, "'gender'")]
    [InlineData("<speak><lang>x</lang></speak>", "lang", 1, 9, "xml:lang")]
    [InlineData("<speak><say-as interpret-as=\"characters\">a<break/></say-as></speak>", "break", 1, 44, "only text")]
    [InlineData("<voice name=\"x\">hi</voice>", "voice", 1, 2, "root element must be <speak>")]
    [InlineData("<speak><speak>x</speak></speak>", "speak", 1, 9, "only be the root")]
    [InlineData("<speak xmlns:x=\"urn:x\"><x:foo/></speak>", "foo", 1, 25, "namespace")]
    public void Unsupported_or_malformed_elements_are_errors_naming_the_element_and_its_position(string ssml, string element, int line, int column, string says)
    {
        var error = Error(ssml);
        Assert.Equal(element, error.Element);
        Assert.Equal((line, column), (error.Line, error.Column));
        Assert.Contains(says, error.Message);
        Assert.Contains($"line {line}, column {column}", error.Message);
    }

    [Theory]
    [InlineData("<speak>Hello", 1, "not well-formed")]
    [InlineData("<speak>a < b</speak>", 1, "not well-formed")]
    [InlineData("<speak>\n<p>unclosed</speak>", 2, "not well-formed")]
    [InlineData("<speak>&nbsp;</speak>", 1, "not well-formed")]
    public void Malformed_xml_is_an_error_with_its_position(string ssml, int line, string says)
    {
        var error = Error(ssml);
        Assert.Null(error.Element);
        Assert.Equal(line, error.Line);
        Assert.Contains(says, error.Message);
    }

    [Fact]
    public void A_billion_laughs_document_is_refused_before_any_entity_is_expanded()
    {
        const string ssml = """
            <?xml version="1.0"?>
            <!DOCTYPE speak [
              <!ENTITY lol "lol">
              <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
              <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
              <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
            ]>
            <speak>&lol9;</speak>
            """;
        var error = Error(ssml);
        Assert.Contains("DOCTYPE", error.Message);
        Assert.Equal((2, 1), (error.Line, error.Column));
    }

    [Fact]
    public void An_external_entity_is_never_resolved()
    {
        var secret = Path.GetTempFileName();
        File.WriteAllText(secret, "TOP SECRET");
        try
        {
            var error = Error($"<!DOCTYPE speak [<!ENTITY xxe SYSTEM \"file://{secret}\">]><speak>&xxe;</speak>");
            Assert.DoesNotContain("TOP SECRET", error.Message);
            Assert.Contains("DOCTYPE", error.Message);
        }
        finally
        {
            File.Delete(secret);
        }
    }

    [Fact]
    public void A_doctype_in_any_letter_case_is_refused()
    {
        // The reader itself prohibits DTDs; the text check only gives the clearer message.
        var error = Error("<!doctype speak><speak>x</speak>");
        Assert.Contains("DOCTYPE", error.Message);
    }

    [Fact]
    public void Depth_element_count_and_size_are_limited()
    {
        var deep = string.Concat(Enumerable.Repeat("<p>", 20)) + "x" + string.Concat(Enumerable.Repeat("</p>", 20));
        Assert.Contains("nested more than 16", Error($"<speak>{deep}</speak>").Message);

        var many = string.Concat(Enumerable.Repeat("<break time=\"0ms\"/>", 1001));
        Assert.Contains("more than 1000 elements", Error($"<speak>{many}</speak>").Message);

        var breaks = string.Concat(Enumerable.Repeat("<break time=\"10s\"/>", 7));
        Assert.Contains("add up to more than", Error($"<speak>{breaks}</speak>").Message);

        Assert.Contains("at most 65536", Error("<speak>" + new string('a', 70000) + "</speak>").Message);
    }
}

public sealed class SsmlDetectionTests
{
    [Theory]
    [InlineData("<speak>x</speak>", true)]
    [InlineData("  \n<speak version=\"1.1\">x</speak>", true)]
    [InlineData("<?xml version=\"1.0\"?><speak>x</speak>", true)]
    [InlineData("<!DOCTYPE speak><speak>x</speak>", true)]
    [InlineData("Hello <speak>", false)]
    [InlineData("<b>bold</b> text", false)]
    public void Input_that_starts_as_an_xml_document_is_ssml(string input, bool ssml) => Assert.Equal(ssml, SsmlParser.LooksLikeSsml(input));
}

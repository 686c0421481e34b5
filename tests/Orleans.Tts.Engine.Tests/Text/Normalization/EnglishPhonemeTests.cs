using Orleans.Tts.Synthesis.Text.Normalization;

namespace Orleans.Tts.Engine.Tests.Text.Normalization;

/// <summary>What eSpeak says for the normalised text, against a hand-written reading and against eSpeak's own guess.</summary>
public sealed class EnglishPhonemeTests
{
    private readonly EnglishTextNormalizer _normalizer = new();

    /// <summary>Written form, and a reading typed the way a person would spell it out.</summary>
    public static TheoryData<string, string> MisreadByESpeakAlone() => new()
    {
        { "2026-11-22", "November twenty second, twenty twenty six" },
        { "at 13:45", "at thirteen forty five" },
        { "$1.5 million", "one point five million dollars" },
        { "3/4 of them", "three quarters of them" },
        { "5 km", "five kilometers" },
        { "30°C", "thirty degrees Celsius" },
        { "in 2026", "in twenty twenty six" },
        { "Elm St.", "Elm Street" },
        { "£3.99", "three pounds and ninety nine pence" },
        { "Call 555-123-4567", "Call five five five, one two three, four five six seven" },
        { "the 1990s", "the nineteen nineties" },
        { "at 9:05", "at nine oh five" },
    };

    [Theory]
    [MemberData(nameof(MisreadByESpeakAlone))]
    public void ESpeak_says_the_normalised_text_as_the_written_out_reading_and_not_as_its_own_guess(string written, string reading)
    {
        var expected = EspeakCli.Segments(EspeakCli.Phonemes("en-us", reading));
        var normalised = EspeakCli.Segments(EspeakCli.Phonemes("en-us", _normalizer.Normalize(written, "en-us")));
        var raw = EspeakCli.Segments(EspeakCli.Phonemes("en-us", written));

        Assert.Equal(expected, normalised);
        Assert.NotEqual(expected, raw);
    }
}

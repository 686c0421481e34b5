using Orleans.Tts.Synthesis.Text.Normalization;

namespace Orleans.Tts.Engine.Tests.Text.Normalization;

public sealed class EnglishTextNormalizerTests
{
    private readonly EnglishTextNormalizer _normalizer = new();

    /// <summary>Written form, language, and the words a speaker says.</summary>
    public static TheoryData<string, string, string> Cases() => new()
    {
        // Cardinals, decimals, negatives, large numbers
        { "I have 3 cats.", "en-us", "I have three cats." },
        { "0", "en-us", "zero" },
        { "It costs 42.", "en-us", "It costs forty-two." },
        { "There were 115 of them", "en-us", "There were one hundred fifteen of them" },
        { "1,234,567 people", "en-us", "one million two hundred thirty-four thousand five hundred sixty-seven people" },
        { "pi is 3.14159", "en-us", "pi is three point one four one five nine" },
        { "It fell to -7 overnight", "en-us", "It fell to minus seven overnight" },
        { "a 2000000000000 budget", "en-us", "a two trillion budget" },
        { "code 007", "en-us", "code zero zero seven" },
        // Ordinals
        { "the 1st and 2nd", "en-us", "the first and second" },
        { "our 23rd year", "en-us", "our twenty-third year" },
        { "the 100th time", "en-us", "the one hundredth time" },
        { "the 12th floor", "en-us", "the twelfth floor" },
        // Years and decades
        { "in 1984", "en-us", "in nineteen eighty-four" },
        { "since 2026", "en-us", "since twenty twenty-six" },
        { "in 2005", "en-us", "in two thousand five" },
        { "by 1900", "en-us", "by nineteen hundred" },
        { "in 1905", "en-us", "in nineteen oh five" },
        { "the 1990s", "en-us", "the nineteen nineties" },
        { "5 5 5, 1 2 3 4", "en-us", "five five five, one two three four" },
        { "from 1939-1945", "en-us", "from nineteen thirty-nine to nineteen forty-five" },
        // Dates
        { "2026-11-22", "en-us", "November twenty-second, twenty twenty-six" },
        { "2026-11-22", "en-gb", "the twenty-second of November, twenty twenty-six" },
        { "11/22/2026", "en-us", "November twenty-second, twenty twenty-six" },
        { "22/11/2026", "en-gb", "the twenty-second of November, twenty twenty-six" },
        { "03/04/2025", "en-gb", "the third of April, twenty twenty-five" },
        { "03/04/2025", "en-us", "March fourth, twenty twenty-five" },
        { "November 22, 2026", "en-us", "November twenty-second, twenty twenty-six" },
        { "on Jan. 5th", "en-us", "on January fifth" },
        { "22 November 2026", "en-gb", "the twenty-second of November, twenty twenty-six" },
        // Times
        { "at 13:45", "en-us", "at thirteen forty-five" },
        { "at 9:05", "en-us", "at nine oh five" },
        { "at 10:00", "en-us", "at ten o'clock" },
        { "at 7:30 pm", "en-us", "at seven thirty p m" },
        { "at 9am", "en-us", "at nine a m" },
        { "at 00:00", "en-us", "at midnight" },
        { "18:00:30", "en-us", "eighteen hundred and thirty seconds" },
        // Percentages
        { "3.5% growth", "en-us", "three point five percent growth" },
        { "100 %", "en-us", "one hundred percent" },
        { "-2% change", "en-us", "minus two percent change" },
        // Currencies
        { "$5", "en-us", "five dollars" },
        { "$1", "en-us", "one dollar" },
        { "$1.50", "en-us", "one dollar and fifty cents" },
        { "$0.99", "en-us", "ninety-nine cents" },
        { "$1.5 million", "en-us", "one point five million dollars" },
        { "$20bn", "en-us", "twenty billion dollars" },
        { "£3.99", "en-gb", "three pounds and ninety-nine pence" },
        { "€20", "en-gb", "twenty euros" },
        { "¥500", "en-us", "five hundred yen" },
        { "100 USD", "en-us", "one hundred US dollars" },
        { "$1,250", "en-us", "one thousand two hundred fifty dollars" },
        // Units
        { "5 km", "en-us", "five kilometers" },
        { "1 kg", "en-us", "one kilogram" },
        { "2.5kg", "en-us", "two point five kilograms" },
        { "30°C", "en-us", "thirty degrees Celsius" },
        { "100 km/h", "en-us", "one hundred kilometers per hour" },
        { "16 GB of RAM", "en-us", "sixteen gigabytes of RAM" },
        { "6 ft tall", "en-us", "six feet tall" },
        { "250 ms", "en-us", "two hundred fifty milliseconds" },
        // Fractions and ranges
        { "1/2 cup", "en-us", "one half cup" },
        { "3/4 of them", "en-us", "three quarters of them" },
        { "2/3", "en-us", "two thirds" },
        { "5-10 minutes", "en-us", "five to ten minutes" },
        // Phone numbers
        { "Call 555-123-4567.", "en-us", "Call five five five, one two three, four five six seven." },
        { "+1 (555) 123-4567", "en-us", "plus one, five five five, one two three, four five six seven" },
        { "+44 20 7946 0958", "en-gb", "plus four four, two zero, seven nine four six, zero nine five eight" },
        // Abbreviations
        { "Dr. Smith lives on Elm St.", "en-us", "Doctor Smith lives on Elm Street" },
        { "St. Louis", "en-us", "Saint Louis" },
        { "Mr. and Mrs. Jones", "en-us", "Mister and Missus Jones" },
        { "apples, pears, etc. are fruit", "en-us", "apples, pears, et cetera are fruit" },
        { "fruit, e.g. apples", "en-us", "fruit, for example apples" },
        { "Acme Inc. Next", "en-us", "Acme Incorporated. Next" },
        { "No. 5", "en-us", "number five" },
        { "#1 hit", "en-us", "number one hit" },
        { "Ali vs. Frazier", "en-us", "Ali versus Frazier" },
        // Addresses
        { "Visit https://www.example.com/docs today", "en-us", "Visit W W W dot example dot com slash docs today" },
        { "see github.com.", "en-us", "see github dot com." },
        { "Mail john.smith@example.org", "en-us", "Mail john dot smith at example dot org" },
        // Symbols and digits in words
        { "salt & pepper", "en-us", "salt and pepper" },
        { "an MP3 player", "en-us", "an MP three player" },
        { "about ~20 people", "en-us", "about about twenty people" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Reads_written_forms_as_a_speaker_says_them(string written, string language, string spoken)
    {
        Assert.Equal(spoken, _normalizer.Normalize(written, language));
    }

    [Theory]
    [InlineData("en")]
    [InlineData("en-US")]
    [InlineData("en-gb")]
    public void Handles_english_in_every_region(string language) => Assert.True(_normalizer.Supports(language));

    [Theory]
    [InlineData("fr")]
    [InlineData("cmn")]
    [InlineData("eng")]
    public void Leaves_other_languages_alone(string language) => Assert.False(_normalizer.Supports(language));

    [Fact]
    public void Text_without_written_forms_is_unchanged()
    {
        const string text = "Hello, world! How are you today?";
        Assert.Equal(text, _normalizer.Normalize(text, "en-us"));
    }
}

using System.Globalization;
using System.Text.RegularExpressions;
using static Orleans.Tts.Synthesis.Text.Normalization.EnglishNumbers;

namespace Orleans.Tts.Synthesis.Text.Normalization;

/// <summary>
/// English written forms → words, by an ordered table of rules: addresses first (they contain digits and dots), then
/// money, dates, times, percentages, units, ordinals, fractions, ranges, years, plain numbers, and symbols. Each rule
/// writes words only, so later rules never re-read its output. en-GB and other non-US English read dates day first.
/// </summary>
public sealed partial class EnglishTextNormalizer : ITextNormalizer
{
    // Atomic: every rule forbids a digit right after a number, so giving digits back never finds a match; it only made
    // long digit runs (hostile input) backtrack quadratically into the regex timeout.
    private const string Num = @"(?>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)";
    private const string Months = "Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?";
    private static readonly string[] MonthNames =
        ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    private sealed record Rule(Regex Pattern, Func<Match, bool, string> Read);

    private sealed record Unit(string Singular, string Plural);

    private sealed record Currency(string Major, string Majors, string? Minor, string? Minors);

    private static readonly Dictionary<string, Unit> Units = new(StringComparer.Ordinal)
    {
        ["km"] = new("kilometer", "kilometers"), ["m"] = new("meter", "meters"), ["cm"] = new("centimeter", "centimeters"),
        ["mm"] = new("millimeter", "millimeters"), ["mi"] = new("mile", "miles"), ["ft"] = new("foot", "feet"),
        ["kg"] = new("kilogram", "kilograms"), ["g"] = new("gram", "grams"), ["mg"] = new("milligram", "milligrams"),
        ["lb"] = new("pound", "pounds"), ["lbs"] = new("pound", "pounds"), ["oz"] = new("ounce", "ounces"),
        ["l"] = new("liter", "liters"), ["L"] = new("liter", "liters"), ["ml"] = new("milliliter", "milliliters"), ["mL"] = new("milliliter", "milliliters"),
        ["km/h"] = new("kilometer per hour", "kilometers per hour"), ["mph"] = new("mile per hour", "miles per hour"),
        ["m/s"] = new("meter per second", "meters per second"),
        ["°C"] = new("degree Celsius", "degrees Celsius"), ["°F"] = new("degree Fahrenheit", "degrees Fahrenheit"), ["°"] = new("degree", "degrees"),
        ["kWh"] = new("kilowatt hour", "kilowatt hours"), ["kW"] = new("kilowatt", "kilowatts"), ["W"] = new("watt", "watts"), ["V"] = new("volt", "volts"),
        ["Hz"] = new("hertz", "hertz"), ["kHz"] = new("kilohertz", "kilohertz"), ["MHz"] = new("megahertz", "megahertz"), ["GHz"] = new("gigahertz", "gigahertz"),
        ["KB"] = new("kilobyte", "kilobytes"), ["kB"] = new("kilobyte", "kilobytes"), ["MB"] = new("megabyte", "megabytes"),
        ["GB"] = new("gigabyte", "gigabytes"), ["TB"] = new("terabyte", "terabytes"),
        ["ms"] = new("millisecond", "milliseconds"), ["sec"] = new("second", "seconds"), ["min"] = new("minute", "minutes"),
        ["h"] = new("hour", "hours"), ["hr"] = new("hour", "hours"), ["hrs"] = new("hour", "hours"),
    };

    private static readonly Dictionary<string, Currency> Currencies = new(StringComparer.Ordinal)
    {
        ["$"] = new("dollar", "dollars", "cent", "cents"), ["USD"] = new("US dollar", "US dollars", "cent", "cents"),
        ["£"] = new("pound", "pounds", "penny", "pence"), ["GBP"] = new("pound", "pounds", "penny", "pence"),
        ["€"] = new("euro", "euros", "cent", "cents"), ["EUR"] = new("euro", "euros", "cent", "cents"),
        ["¥"] = new("yen", "yen", null, null), ["JPY"] = new("yen", "yen", null, null),
        ["￥"] = new("yuan", "yuan", null, null), ["CNY"] = new("yuan", "yuan", null, null), ["RMB"] = new("yuan", "yuan", null, null),
        ["₹"] = new("rupee", "rupees", null, null), ["INR"] = new("rupee", "rupees", null, null),
    };

    private static readonly Dictionary<string, string> Scales = new(StringComparer.OrdinalIgnoreCase)
    {
        ["thousand"] = "thousand", ["k"] = "thousand", ["million"] = "million", ["m"] = "million", ["mn"] = "million",
        ["billion"] = "billion", ["b"] = "billion", ["bn"] = "billion", ["trillion"] = "trillion", ["tn"] = "trillion",
    };

    private static readonly Dictionary<string, string> Abbreviations = new(StringComparer.Ordinal)
    {
        ["Mr."] = "Mister", ["Mrs."] = "Missus", ["Ms."] = "Miz", ["Prof."] = "Professor", ["Jr."] = "Junior", ["Sr."] = "Senior",
        ["etc."] = "et cetera", ["e.g."] = "for example", ["i.e."] = "that is", ["vs."] = "versus", ["vs"] = "versus",
        ["approx."] = "approximately", ["Inc."] = "Incorporated", ["Ltd."] = "Limited", ["Co."] = "Company", ["Corp."] = "Corporation",
        ["Ave."] = "Avenue", ["Rd."] = "Road", ["Blvd."] = "Boulevard", ["Mt."] = "Mount", ["Fig."] = "Figure", ["Dept."] = "Department",
        ["Jan."] = "January", ["Feb."] = "February", ["Aug."] = "August", ["Sept."] = "September", ["Oct."] = "October", ["Nov."] = "November", ["Dec."] = "December",
    };

    // Words after which an abbreviation's full stop also ends the sentence only if a capitalised word or the end follows.
    private static readonly HashSet<string> SentenceFinal = ["etc.", "Inc.", "Ltd.", "Co.", "Corp.", "Jr.", "Sr."];

    private static readonly Rule[] Rules =
    [
        new(Email(), (m, _) => SpeakAddress(m.Groups["user"].Value) + " at " + SpeakAddress(m.Groups["domain"].Value)),
        new(Url(), (m, _) => SpeakAddress(m.Groups["address"].Value) + m.Groups["tail"].Value),
        new(Phone(), (m, _) => ReadPhone(m.Value)),
        new(NumberSign(), (m, _) => "number "),
        new(Approximately(), (m, _) => "about "),
        new(Abbreviation(), (m, _) => ReadAbbreviation(m)),
        new(CurrencyBefore(), (m, _) => ReadMoney(Currencies[m.Groups["symbol"].Value], m.Groups["number"].Value, m.Groups["scale"].Value)),
        new(CurrencyAfter(), (m, _) => ReadMoney(Currencies[m.Groups["code"].Value], m.Groups["number"].Value, m.Groups["scale"].Value)),
        new(IsoDate(), (m, dayFirst) => ReadDate(Int(m, "y"), Int(m, "m"), Int(m, "d"), dayFirst)),
        new(SlashDate(), (m, dayFirst) => ReadSlashDate(Int(m, "a"), Int(m, "b"), m.Groups["y"].Value, dayFirst)),
        new(MonthDay(), (m, _) => ReadDate(m.Groups["y"].Success ? Int(m, "y") : null, Month(m.Groups["month"].Value), Int(m, "d"), dayFirst: false)),
        new(DayMonth(), (m, _) => ReadDate(m.Groups["y"].Success ? Int(m, "y") : null, Month(m.Groups["month"].Value), Int(m, "d"), dayFirst: true)),
        new(ClockTime(), (m, _) => ReadTime(Int(m, "h"), Int(m, "min"), m.Groups["s"].Success ? Int(m, "s") : null, m.Groups["ampm"].Value) + m.Groups["stop"].Value),
        new(HourAmPm(), (m, _) => ReadTime(Int(m, "h"), 0, null, m.Groups["ampm"].Value) + m.Groups["stop"].Value),
        new(Percent(), (m, _) => Number(m.Groups["number"].Value) + " percent"),
        new(Measure(), (m, _) => ReadMeasure(m.Groups["number"].Value, Units[m.Groups["unit"].Value])),
        new(OrdinalNumber(), (m, _) => Ordinal(long.Parse(m.Groups["n"].Value, CultureInfo.InvariantCulture))),
        new(Fraction(), (m, _) => ReadFraction(Int(m, "n"), Int(m, "d"))),
        new(Range(), (m, _) => ReadRangeEnd(m.Groups["a"].Value) + " to " + ReadRangeEnd(m.Groups["b"].Value)),
        new(Decade(), (m, _) => Pluralize(Year(Int(m, "y")))),
        new(YearInContext(), (m, _) => Year(Int(m, "y"))),
        new(PlainNumber(), (m, _) => Number(m.Value)),
        new(DigitsInWord(), (m, _) => " " + Number(m.Value) + " "),
        new(Ampersand(), (m, _) => "and"),
        new(Symbol(), (m, _) => m.Value switch { "=" => " equals ", "×" => " times ", "+" => " plus ", "@" => " at ", _ => " " }),
        new(Spaces(), (m, _) => " "),
    ];

    public bool Supports(string language) =>
        language.Equals("en", StringComparison.OrdinalIgnoreCase) || language.StartsWith("en-", StringComparison.OrdinalIgnoreCase);

    public string Normalize(string text, string language)
    {
        ArgumentNullException.ThrowIfNull(text);
        var dayFirst = DayFirst(language);
        foreach (var rule in Rules)
        {
            // The regex timeout bounds the time hostile text can take; past it the text is read without that rule.
            try { text = rule.Pattern.Replace(text, m => rule.Read(m, dayFirst)); }
            catch (RegexMatchTimeoutException) { }
        }
        return text.Trim();
    }

    /// <summary>American English says the month first; British and most other Englishes the day.</summary>
    private static bool DayFirst(string language) =>
        !(language.Equals("en", StringComparison.OrdinalIgnoreCase) || language.StartsWith("en-us", StringComparison.OrdinalIgnoreCase));

    /// <summary>The same rules through <see cref="MappedText.Replace"/>: each rule's words map to the written form they read ("$120" → its four words).</summary>
    public MappedText Normalize(MappedText text, string language)
    {
        ArgumentNullException.ThrowIfNull(text);
        var dayFirst = DayFirst(language);
        foreach (var rule in Rules)
        {
            try { text = text.Replace(rule.Pattern, m => rule.Read(m, dayFirst)); }
            catch (RegexMatchTimeoutException) { }
        }
        return text.Trim();
    }

    private static int Int(Match m, string group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    private static int Month(string name) =>
        Array.FindIndex(MonthNames, n => n.StartsWith(name[..3], StringComparison.OrdinalIgnoreCase)) + 1;

    private static string ReadDate(int? year, int month, int day, bool dayFirst)
    {
        if (month is < 1 or > 12 || day is < 1 or > 31) return Join(year is { } y0 ? Year(y0) : null, Cardinal(month), Cardinal(day));
        var date = dayFirst ? $"the {Ordinal(day)} of {MonthNames[month - 1]}" : $"{MonthNames[month - 1]} {Ordinal(day)}";
        return year is { } y ? $"{date}, {Year(y)}" : date;
    }

    private static string ReadSlashDate(int a, int b, string year, bool dayFirst)
    {
        var y = int.Parse(year, CultureInfo.InvariantCulture);
        if (year.Length == 2) y += y < 70 ? 2000 : 1900;
        // 22/11 can only be day first, 11/22 only month first.
        if (a > 12) dayFirst = true;
        else if (b > 12) dayFirst = false;
        return dayFirst ? ReadDate(y, b, a, true) : ReadDate(y, a, b, false);
    }

    private static string ReadTime(int hour, int minute, int? second, string ampm)
    {
        var suffix = ampm.Length > 0 ? (char.ToLowerInvariant(ampm[0]) == 'a' ? " a m" : " p m") : "";
        var words = minute switch
        {
            0 when suffix.Length > 0 => Cardinal(hour),
            0 when hour == 0 => "midnight",
            0 when hour <= 12 => Cardinal(hour) + " o'clock",
            0 => Cardinal(hour) + " hundred",
            < 10 => Cardinal(hour) + " oh " + Cardinal(minute),
            _ => Cardinal(hour) + " " + Cardinal(minute),
        };
        if (second is { } s && s > 0) words += $" and {Cardinal(s)} {(s == 1 ? "second" : "seconds")}";
        return words + suffix;
    }

    private static string ReadMoney(Currency currency, string number, string scale)
    {
        // Amounts beyond decimal's 28 digits or a long's range are read digit by digit, as Number does for long numbers.
        if (!decimal.TryParse(number.Replace(",", "", StringComparison.Ordinal), NumberStyles.Number, CultureInfo.InvariantCulture, out var amount) || Math.Abs(amount) > long.MaxValue)
            return $"{Number(number)} {(scale.Length > 0 ? Scales[scale] + " " : "")}{currency.Majors}";
        if (scale.Length > 0) return $"{Number(number)} {Scales[scale]} {currency.Majors}";
        var dot = number.IndexOf('.');
        if (dot >= 0 && currency.Minor is not null && number.Length - dot - 1 == 2)
        {
            var major = (long)Math.Truncate(amount);
            var minor = int.Parse(number[(dot + 1)..], CultureInfo.InvariantCulture);
            var minorWords = minor == 0 ? "" : $"{Cardinal(minor)} {(minor == 1 ? currency.Minor : currency.Minors)}";
            if (major == 0) return minor == 0 ? $"zero {currency.Majors}" : minorWords;
            var majorWords = $"{Cardinal(major)} {(major == 1 ? currency.Major : currency.Majors)}";
            return minor == 0 ? majorWords : $"{majorWords} and {minorWords}";
        }
        return $"{Number(number)} {(amount == 1 && dot < 0 ? currency.Major : currency.Majors)}";
    }

    private static string ReadMeasure(string number, Unit unit) =>
        $"{Number(number)} {(number is "1" or "-1" ? unit.Singular : unit.Plural)}";

    private static string ReadFraction(int numerator, int denominator)
    {
        if (denominator is < 2 or > 10) return $"{Cardinal(numerator)} over {Cardinal(denominator)}";
        var name = denominator switch { 2 => "half", 4 => "quarter", _ => Ordinal(denominator) };
        if (numerator != 1) name = denominator == 2 ? "halves" : name + "s";
        return $"{(numerator == 1 ? "one" : Cardinal(numerator))} {name}";
    }

    private static string ReadRangeEnd(string number) =>
        number.Length == 4 && int.TryParse(number, CultureInfo.InvariantCulture, out var y) && y is >= 1100 and <= 2099 ? Year(y) : Number(number);

    private static string Pluralize(string words) => words.EndsWith('y') ? words[..^1] + "ies" : words + "s";

    private static string ReadPhone(string phone)
    {
        var groups = Regex.Split(phone.Trim(), @"[\s().-]+").Where(g => g.Length > 0)
            .Select(g => g.StartsWith('+') ? "plus " + Digits(g) : Digits(g));
        return string.Join(", ", groups);
    }

    private static string ReadAbbreviation(Match m)
    {
        var word = m.Groups["word"].Value;
        var rest = m.Groups["rest"].Value;
        var capitalisedNext = rest.Length > 0 && char.IsUpper(rest[0]);
        var expanded = word switch
        {
            "Dr." => capitalisedNext ? "Doctor" : "Drive",
            "St." => capitalisedNext ? "Saint" : "Street",
            "No." => "number",
            _ => Abbreviations[word],
        };
        var stop = SentenceFinal.Contains(word) && (rest.Length == 0 || capitalisedNext) ? "." : "";
        return expanded + stop + m.Groups["space"].Value + rest;
    }

    /// <summary>host.name/path → "host dot name slash path"; unpronounceable consonant clusters (www) are spelt.</summary>
    private static string SpeakAddress(string address)
    {
        var words = new List<string>();
        foreach (Match part in AddressPart().Matches(address))
        {
            var p = part.Value;
            words.Add(p switch
            {
                "." => "dot",
                "/" => "slash",
                "-" => "dash",
                "_" => "underscore",
                ":" => "colon",
                "?" => "question mark",
                "=" => "equals",
                "&" => "and",
                "#" => "hash",
                "~" => "tilde",
                "%" => "percent",
                "+" => "plus",
                _ when char.IsAsciiDigit(p[0]) => p.Length <= 4 ? Number(p) : Digits(p),
                _ when p.Length <= 3 && !p.Any(c => "aeiouAEIOU".Contains(c)) => string.Join(" ", p.ToUpperInvariant().ToCharArray()),
                _ when p.Length == 2 => string.Join(" ", p.ToUpperInvariant().ToCharArray()),
                _ => p,
            });
        }
        return string.Join(" ", words);
    }

    [GeneratedRegex(@"[A-Za-z]+|[0-9]+|[^A-Za-z0-9]", RegexOptions.CultureInvariant)]
    private static partial Regex AddressPart();

    [GeneratedRegex(@"\b(?:https?://)?(?<address>(?:www\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|org|net|io|dev|ai|gov|edu|info|app|uk|de|fr|cn|jp|eu|us)\b(?:/[^\s<>""]*)?)(?<tail>[.,;:!?)]*)(?=\s|$)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Url();

    [GeneratedRegex(@"\b(?<user>[A-Za-z0-9._%+-]+)@(?<domain>[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Email();

    [GeneratedRegex(@"(?<![\w+])(?:\+[0-9]{1,3}[ .-]?)?(?:\([0-9]{2,4}\)\s?|[0-9]{3}[ .-])[0-9]{3,4}[ .-][0-9]{4}\b|(?<![\w+])\+[0-9]{1,3}(?:[ .-]\(?[0-9]{1,4}\)?){2,5}(?![\w-])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Phone();

    [GeneratedRegex(@"#(?=[0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex NumberSign();

    [GeneratedRegex(@"~(?=\s?[0-9])", RegexOptions.CultureInvariant)]
    private static partial Regex Approximately();

    [GeneratedRegex(@"(?<![\w.])(?<word>Mrs\.|Mr\.|Ms\.|Dr\.|Prof\.|St\.|Jr\.|Sr\.|etc\.|e\.g\.|i\.e\.|vs\.?|approx\.|Inc\.|Ltd\.|Co\.|Corp\.|Ave\.|Rd\.|Blvd\.|Mt\.|Fig\.|Dept\.|No\.(?=\s?[0-9])|Jan\.|Feb\.|Aug\.|Sept\.|Oct\.|Nov\.|Dec\.)(?<space>\s*)(?<rest>\S?)", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Abbreviation();

    [GeneratedRegex(@"(?<![\w.])(?<symbol>[$£€¥￥₹])\s?(?<number>" + Num + @")(?:\s?(?<scale>thousand|million|billion|trillion|bn|mn|tn|[kmbKMB])\b)?", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex CurrencyBefore();

    [GeneratedRegex(@"(?<![\w.])(?<number>" + Num + @")(?:\s?(?<scale>thousand|million|billion|trillion))?\s?(?<code>USD|EUR|GBP|JPY|CNY|RMB|INR)\b", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex CurrencyAfter();

    [GeneratedRegex(@"\b(?<y>[0-9]{4})-(?<m>0[1-9]|1[0-2])-(?<d>0[1-9]|[12][0-9]|3[01])\b", RegexOptions.CultureInvariant)]
    private static partial Regex IsoDate();

    [GeneratedRegex(@"(?<![\w/.])(?<a>[0-9]{1,2})/(?<b>[0-9]{1,2})/(?<y>[0-9]{4}|[0-9]{2})(?![\w/])", RegexOptions.CultureInvariant)]
    private static partial Regex SlashDate();

    [GeneratedRegex(@"\b(?<month>" + Months + @")\.?\s+(?<d>[0-9]{1,2})(?:st|nd|rd|th)?\b(?:,?\s+(?<y>[0-9]{4})\b)?", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex MonthDay();

    [GeneratedRegex(@"\b(?<d>[0-9]{1,2})(?:st|nd|rd|th)?\s+(?:of\s+)?(?<month>" + Months + @")\b\.?(?:,?\s+(?<y>[0-9]{4})\b)?", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex DayMonth();

    [GeneratedRegex(@"(?<![0-9:])(?<h>[01]?[0-9]|2[0-3]):(?<min>[0-5][0-9])(?::(?<s>[0-5][0-9]))?(?:\s?(?<ampm>[AaPp])\.?[Mm](?<stop>\.)?\b)?(?![0-9:])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex ClockTime();

    [GeneratedRegex(@"\b(?<h>1[0-2]|0?[1-9])\s?(?<ampm>[AaPp])\.?[Mm]\b(?<stop>\.)?", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex HourAmPm();

    [GeneratedRegex(@"(?<![\w.])(?<number>[-−]?(?:" + Num + @"))\s?%", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Percent();

    [GeneratedRegex(@"(?<![\w.])(?<number>[-−]?(?:" + Num + @"))\s?(?<unit>km/h|m/s|°C|°F|°|kWh|kW|kHz|MHz|GHz|Hz|KB|kB|MB|GB|TB|km|cm|mm|mi|ft|kg|mg|lbs|lb|oz|ml|mL|mph|ms|sec|min|hrs|hr|m|g|l|L|W|V|h)(?![\w/°])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Measure();

    [GeneratedRegex(@"\b(?<n>[0-9]{1,15})(?:st|nd|rd|th)\b", RegexOptions.CultureInvariant)]
    private static partial Regex OrdinalNumber();

    [GeneratedRegex(@"(?<![\w/.])(?<n>[0-9]{1,4})/(?<d>[0-9]{1,4})(?![\w/.])", RegexOptions.CultureInvariant)]
    private static partial Regex Fraction();

    [GeneratedRegex(@"(?<![\w.,-])(?<a>" + Num + @")\s?[-–]\s?(?<b>" + Num + @")(?![\w.-])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Range();

    [GeneratedRegex(@"\b(?<y>1[1-9][0-9]0|20[0-9]0)s\b", RegexOptions.CultureInvariant)]
    private static partial Regex Decade();

    [GeneratedRegex(@"(?<=\b(?:[Ii]n|[Ss]ince|[Bb]y|[Ff]rom|[Uu]ntil|[Tt]ill|[Bb]efore|[Aa]fter|[Yy]ear|[Cc]irca|[Aa]round|[Dd]uring|[Tt]hrough)\s)(?<y>1[1-9][0-9][0-9]|20[0-9][0-9])\b(?![.,][0-9])|\b(?<y>1[89][0-9][0-9])\b(?![.,][0-9])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex YearInContext();

    [GeneratedRegex(@"(?<![\w.,])(?:[-−](?=[0-9]))?(?:" + Num + @")(?![\w])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex PlainNumber();

    [GeneratedRegex(@"[0-9]+(?:\.[0-9]+)?", RegexOptions.CultureInvariant)]
    private static partial Regex DigitsInWord();

    [GeneratedRegex(@"(?<=\s|^)&(?=\s|$)", RegexOptions.CultureInvariant)]
    private static partial Regex Ampersand();

    [GeneratedRegex(@"(?<=\s|^)[=×+@](?=\s|$)", RegexOptions.CultureInvariant)]
    private static partial Regex Symbol();

    [GeneratedRegex(@"[ \t]{2,}", RegexOptions.CultureInvariant)]
    private static partial Regex Spaces();
}

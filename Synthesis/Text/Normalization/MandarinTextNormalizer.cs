using System.Text.RegularExpressions;
using Orleans.Tts.Synthesis.Text;

namespace Orleans.Tts.Synthesis.Text.Normalization;

/// <summary>
/// Mandarin written forms that are not numerals themselves: unit symbols after a number (5kg → 5公斤, -5°C → 零下5摄氏度)
/// and symbols between words. Numerals stay Arabic: <see cref="Chinese.ChineseNumberReader"/> reads them in context inside
/// the Mandarin front end (dates, times, money, percentages, 两 before measure words, tone sandhi of 一 in numbers).
/// </summary>
public sealed partial class MandarinTextNormalizer : ITextNormalizer
{
    private static readonly Dictionary<string, string> Units = new(StringComparer.Ordinal)
    {
        ["km/h"] = "公里每小时", ["m/s"] = "米每秒", ["°C"] = "摄氏度", ["℃"] = "摄氏度", ["°F"] = "华氏度", ["℉"] = "华氏度", ["°"] = "度",
        ["km"] = "公里", ["m"] = "米", ["cm"] = "厘米", ["mm"] = "毫米", ["kg"] = "公斤", ["g"] = "克", ["mg"] = "毫克",
        ["L"] = "升", ["l"] = "升", ["ml"] = "毫升", ["mL"] = "毫升", ["kWh"] = "千瓦时", ["kW"] = "千瓦", ["W"] = "瓦", ["V"] = "伏",
        ["Hz"] = "赫兹", ["kHz"] = "千赫", ["MHz"] = "兆赫", ["GHz"] = "吉赫", ["ms"] = "毫秒", ["s"] = "秒", ["min"] = "分钟", ["h"] = "小时",
    };

    public bool Supports(string language)
    {
        var l = language.ToLowerInvariant();
        return l is "zh" or "cmn" || l.StartsWith("cmn-", StringComparison.Ordinal)
            || (l.StartsWith("zh-", StringComparison.Ordinal) && l is not ("zh-yue" or "zh-hk"));
    }

    public string Normalize(string text, string language)
    {
        ArgumentNullException.ThrowIfNull(text);
        // Atomic number: a unit never follows a digit, so giving digits back cannot match; past the regex timeout the
        // text is left as it is rather than failing the request.
        try { text = ReadMeasures(text); }
        catch (RegexMatchTimeoutException) { }
        return Symbol().Replace(text, ReadSymbol);
    }

    /// <summary>The same rewrite with the source map carried along (a unit's Han words map to the number and symbol they read).</summary>
    public MappedText Normalize(MappedText text, string language)
    {
        ArgumentNullException.ThrowIfNull(text);
        try { text = text.Replace(Measure(), ReadMeasure); }
        catch (RegexMatchTimeoutException) { }
        return text.Replace(Symbol(), ReadSymbol);
    }

    private static string ReadSymbol(Match m) => m.Value switch
    {
        "&" or "＆" => "和",
        "+" or "＋" => "加",
        "=" or "＝" => "等于",
        "×" => "乘以",
        "÷" => "除以",
        _ => m.Value,
    };

    private static string ReadMeasures(string text) => Measure().Replace(text, ReadMeasure);

    private static string ReadMeasure(Match m)
    {
        var unit = Units[m.Groups["unit"].Value];
        var negative = m.Groups["neg"].Success;
        // Below-zero temperatures are 零下, not 负.
        var sign = negative ? (unit.EndsWith("氏度", StringComparison.Ordinal) || unit == "度" ? "零下" : "-") : "";
        return sign + m.Groups["number"].Value + unit;
    }

    [GeneratedRegex(@"(?<![A-Za-z0-9.])(?<neg>[-−－])?(?<number>(?>[0-9０-９]+(?:[.．][0-9０-９]+)?))\s?(?<unit>km/h|m/s|°C|℃|°F|℉|°|kWh|kW|kHz|MHz|GHz|Hz|km|cm|mm|kg|mg|ml|mL|ms|min|m|g|L|l|W|V|s|h)(?![A-Za-z/])", RegexOptions.CultureInvariant, 1000)]
    private static partial Regex Measure();

    [GeneratedRegex(@"(?<=[\p{IsCJKUnifiedIdeographs}0-9\s])[&＆+＋=＝×÷](?=[\p{IsCJKUnifiedIdeographs}0-9\s])", RegexOptions.CultureInvariant)]
    private static partial Regex Symbol();
}

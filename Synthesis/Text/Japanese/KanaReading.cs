using System.Text;

namespace Orleans.Tts.Synthesis.Text.Japanese;

/// <summary>Decides what one MeCab token (surface + IPAdic feature CSV) should be spoken as.</summary>
internal static class KanaReading
{
    // IPAdic feature columns: POS, POS sub 1-3, conjugation type, conjugation form, base form, reading, pronunciation.
    private const int PosField = 0;
    private const int ReadingField = 7;
    private const int PronunciationField = 8;

    /// <summary>Cheap pre-check: text without any CJK-block character cannot need conversion.</summary>
    public static bool MayNeedConversion(string text)
    {
        foreach (var c in text)
        {
            if (c >= '\u3000')
                return true;
        }
        return false;
    }

    /// <summary>Returns the text to speak for a token, or null to keep the surface unchanged.</summary>
    public static string? Choose(string surface, string feature)
    {
        if (ContainsKanji(surface))
        {
            var fields = SplitCsv(feature);
            // The pronunciation column (トーキョー) is closer to speech than the reading column (トウキョウ)
            // and espeak-ng renders the long-vowel mark ー correctly.
            return KanaField(fields, PronunciationField) ?? KanaField(fields, ReadingField);
        }

        // The topic/direction particles are written は/へ but pronounced わ/え; espeak-ng reads them literally.
        if (surface is "は" or "へ" or "ハ" or "ヘ" && Field(SplitCsv(feature), PosField) == "助詞")
        {
            return surface switch { "は" => "わ", "へ" => "え", "ハ" => "ワ", _ => "エ" };
        }

        return null;
    }

    /// <summary>Kanji, iteration/closing marks and the small ヵ/ヶ counters, none of which espeak-ng's ja voice can read.</summary>
    public static bool ContainsKanji(string text)
    {
        foreach (var rune in text.EnumerateRunes())
        {
            if (IsKanjiLike(rune.Value))
                return true;
        }
        return false;
    }

    private static bool IsKanjiLike(int c) =>
        c is >= 0x4E00 and <= 0x9FFF     // CJK Unified Ideographs
            or >= 0x3400 and <= 0x4DBF   // Extension A
            or >= 0xF900 and <= 0xFAFF   // Compatibility Ideographs
            or >= 0x20000 and <= 0x3134F // Extensions B-G
            or 0x3005 or 0x3006 or 0x3007 // 々 〆 〇
            or 0x30F5 or 0x30F6;         // ヵ ヶ

    private static string? KanaField(List<string> fields, int index)
    {
        var value = Field(fields, index);
        return value is { Length: > 0 } && IsKatakana(value) ? value : null;
    }

    private static string? Field(List<string> fields, int index) => index < fields.Count ? fields[index] : null;

    private static bool IsKatakana(string value)
    {
        foreach (var c in value)
        {
            if (c is < '\u30A1' or > '\u30FC' or '\u30FB' || c is '\u30F5' or '\u30F6')
                return false;
        }
        return true;
    }

    /// <summary>Splits a MeCab feature line; fields containing commas are double-quoted with "" escapes.</summary>
    internal static List<string> SplitCsv(string line)
    {
        var fields = new List<string>(9);
        var current = new StringBuilder();
        var quoted = false;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quoted)
            {
                if (c != '"')
                    current.Append(c);
                else if (i + 1 < line.Length && line[i + 1] == '"')
                    current.Append(line[++i]);
                else
                    quoted = false;
            }
            else if (c == '"')
                quoted = true;
            else if (c == ',')
            {
                fields.Add(current.ToString());
                current.Clear();
            }
            else
                current.Append(c);
        }
        fields.Add(current.ToString());
        return fields;
    }
}

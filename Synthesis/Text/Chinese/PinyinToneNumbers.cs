namespace Orleans.Tts.Synthesis.Text.Chinese;

/// <summary>Turns tone-marked pinyin (<c>zhōng</c>, <c>lǜ</c>) into the numbered form eSpeak's cmn-latn-pinyin voice reads.</summary>
public static class PinyinToneNumbers
{
    /// <summary>
    /// <c>zhōng</c> → <c>zhong1</c>, <c>de</c> → <c>de5</c> (neutral), <c>lǜ</c> → <c>lv4</c>.
    /// ü is written <c>v</c>: eSpeak accepts both, and <c>v</c> keeps the output ASCII.
    /// Returns null when the text is not a single pinyin syllable.
    /// </summary>
    public static string? FromToneMarks(ReadOnlySpan<char> syllable)
    {
        Span<char> buffer = stackalloc char[MaxSyllableLength + 1];
        return TryConvert(syllable, buffer, out var length) ? new string(buffer[..length]) : null;
    }

    internal const int MaxSyllableLength = 8;

    /// <summary>Allocation-free form of <see cref="FromToneMarks"/>; <paramref name="destination"/> needs
    /// <see cref="MaxSyllableLength"/> + 1 chars.</summary>
    internal static bool TryConvert(ReadOnlySpan<char> syllable, Span<char> destination, out int length)
    {
        length = 0;
        if (syllable.IsEmpty || syllable.Length > MaxSyllableLength || destination.Length <= syllable.Length)
            return false;

        var tone = 5;
        for (var i = 0; i < syllable.Length; i++)
        {
            var (letter, markTone) = Split(char.ToLowerInvariant(syllable[i]));
            if (letter == '\0')
                return false;
            if (markTone != 0)
            {
                if (tone != 5)
                    return false; // two tone marks: not one syllable
                tone = markTone;
            }
            destination[i] = letter;
        }
        destination[syllable.Length] = (char)('0' + tone);
        length = syllable.Length + 1;
        return true;
    }

    /// <summary>The tone number (1–5) at the end of a numbered syllable, or 0 when there is none.</summary>
    public static int ToneOf(string numbered) =>
        numbered.Length > 0 && numbered[^1] is >= '1' and <= '5' ? numbered[^1] - '0' : 0;

    private static (char Letter, int Tone) Split(char c) => c switch
    {
        >= 'a' and <= 'z' => (c, 0),
        'ā' => ('a', 1), 'á' => ('a', 2), 'ǎ' => ('a', 3), 'à' => ('a', 4),
        'ē' => ('e', 1), 'é' => ('e', 2), 'ě' => ('e', 3), 'è' => ('e', 4),
        'ī' => ('i', 1), 'í' => ('i', 2), 'ǐ' => ('i', 3), 'ì' => ('i', 4),
        'ō' => ('o', 1), 'ó' => ('o', 2), 'ǒ' => ('o', 3), 'ò' => ('o', 4),
        'ū' => ('u', 1), 'ú' => ('u', 2), 'ǔ' => ('u', 3), 'ù' => ('u', 4),
        'ü' => ('v', 0), 'ǖ' => ('v', 1), 'ǘ' => ('v', 2), 'ǚ' => ('v', 3), 'ǜ' => ('v', 4),
        'ḿ' => ('m', 2), 'ń' => ('n', 2), 'ň' => ('n', 3), 'ǹ' => ('n', 4),
        _ => ('\0', 0),
    };
}

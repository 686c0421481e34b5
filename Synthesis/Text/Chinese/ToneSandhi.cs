namespace Orleans.Tts.Synthesis.Text.Chinese;

/// <summary>
/// Tone changes of 一 and 不. Third-tone sandhi is left to eSpeak, which applies it itself.
/// </summary>
internal static class ToneSandhi
{
    private const string Digits = "〇零一二两三四五六七八九";
    private const string Numerals = Digits + "十百千万亿第";

    public static void Apply(List<Token> tokens)
    {
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.Kind is not (TokenKind.Single or TokenKind.InNumber))
                continue;
            var previous = i > 0 && tokens[i - 1].IsSyllable ? tokens[i - 1] : null;
            var next = i + 1 < tokens.Count && tokens[i + 1].IsSyllable ? tokens[i + 1] : null;

            var changed = (token.Kind, token.Source) switch
            {
                (TokenKind.InNumber, '一') => YiInNumber(next),
                (TokenKind.Single, '一') => Yi(previous, next),
                (TokenKind.Single, '不') => Bu(next),
                _ => null,
            };
            if (changed is not null)
                tokens[i] = token with { Text = changed };
        }
    }

    /// <summary>一 keeps tone 1 when counting (十一, 一点五, 一九八四) but not before 百千万亿 (一百 yi4, 一万 yi2).</summary>
    private static string YiInNumber(Token? next) => next is { Kind: TokenKind.InNumber, Source: '百' or '千' or '万' or '亿' }
        ? BeforeTone(next.Tone)
        : "yi1";

    private static string Yi(Token? previous, Token? next)
    {
        if (next is null)
            return "yi1";
        if (next.Source is '百' or '千' or '万' or '亿')
            return BeforeTone(next.Tone);
        if (previous is not null && Numerals.Contains(previous.Source))
            return "yi1";
        if (Digits.Contains(next.Source))
            return "yi1";
        return BeforeTone(next.Tone);
    }

    private static string BeforeTone(int tone) => tone is 4 or 5 ? "yi2" : "yi4";

    private static string Bu(Token? next) => next?.Tone == 4 ? "bu2" : "bu4";
}

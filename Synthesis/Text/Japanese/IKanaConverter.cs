namespace Orleans.Tts.Synthesis.Text.Japanese;

/// <summary>
/// Rewrites Japanese text so that eSpeak NG's <c>ja</c> voice (which reads kana only) can speak it:
/// kanji words become katakana readings; kana, punctuation, digits and Latin text pass through.
/// Implementations must be safe for concurrent callers.
/// </summary>
public interface IKanaConverter
{
    string ToKana(string text);
}

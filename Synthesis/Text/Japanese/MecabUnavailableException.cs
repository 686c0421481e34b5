namespace Orleans.Tts.Synthesis.Text.Japanese;

/// <summary>The MeCab library or its UTF-8 IPAdic dictionary is missing or unusable.</summary>
public sealed class MecabUnavailableException(string message, Exception? innerException = null)
    : Exception(message + " " + InstallHint, innerException)
{
    public const string InstallHint = "Install Debian packages libmecab2 mecab-ipadic-utf8.";
}

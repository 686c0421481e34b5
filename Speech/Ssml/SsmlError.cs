namespace Orleans.Tts.Speech.Ssml;

/// <summary>What is wrong with an SSML document, and where (1-based line and column; element null for XML syntax errors).</summary>
public sealed record SsmlError(string Message, int Line, int Column, string? Element);

public sealed class SsmlException(SsmlError error) : Exception(error.Message)
{
    public SsmlError Error { get; } = error;
}

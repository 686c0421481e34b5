using System.Diagnostics;
using System.Text;

namespace Orleans.Tts.Engine.Tests.Text.Normalization;

/// <summary>The espeak-ng command line's phoneme output (-x), for checking what a voice will actually say.</summary>
internal static class EspeakCli
{
    public static string Phonemes(string voice, string text)
    {
        var start = new ProcessStartInfo("espeak-ng") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { "-v", voice, "-x", "-q", text }) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("espeak-ng did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"espeak-ng exited with {process.ExitCode}: {stderr.Result}");
        return stdout;
    }

    /// <summary>Phonemes without stress marks, word breaks and pauses, which vary with hyphens and punctuation.</summary>
    public static string Segments(string phonemes)
    {
        var result = new StringBuilder(phonemes.Length);
        foreach (var c in phonemes)
            if (!char.IsWhiteSpace(c) && c is not ('\'' or ',' or '_' or '-' or '#' or '|' or '='))
                result.Append(c);
        return result.ToString();
    }
}

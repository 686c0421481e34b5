using System.Diagnostics;

namespace Orleans.Tts.Engine.Tests.Text.Japanese;

/// <summary>Runs the real espeak-ng CLI to prove the converter's output is what the ja voice can speak.</summary>
public sealed class EspeakJapaneseTests(MecabConverterFixture fixture) : IClassFixture<MecabConverterFixture>
{
    // espeak-ng announces characters it cannot read in English, e.g. "_:(en)tS'aIni:z(ja)l'et@" ("Chinese letter").
    private const string LanguageSwitch = "(en)";

    [Theory]
    [InlineData("日本語", "nihoNgo")]
    [InlineData("東京に行きます", "to:kjo:ni:kimasu")]
    [InlineData("今日は良い天気です", "kjo:wajoiteNkidesu")]
    public void Converted_text_is_read_as_japanese_phonemes(string text, string expectedPhonemes)
    {
        // The raw kanji are spelled out as foreign "Chinese letter"s: this is what the conversion fixes.
        Assert.Contains(LanguageSwitch, Phonemize(text));

        var phonemes = Phonemize(fixture.Converter.ToKana(text));

        Assert.DoesNotContain(LanguageSwitch, phonemes);
        Assert.Equal(expectedPhonemes, StripStressAndSpacing(phonemes));
    }

    private static string StripStressAndSpacing(string phonemes) =>
        new(phonemes.Where(c => c is not ('\'' or ',' or ' ' or '\n' or '_' or '!' or '\\' or '`')).ToArray());

    private static string Phonemize(string text)
    {
        var start = new ProcessStartInfo("espeak-ng")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "-v", "ja", "-x", "-q", text })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start) ?? throw new InvalidOperationException("espeak-ng did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"espeak-ng failed ({process.ExitCode}): {stderr}");
        var output = stdout.Result.Trim();
        Assert.False(string.IsNullOrWhiteSpace(output), "espeak-ng produced no phonemes");
        return output;
    }
}

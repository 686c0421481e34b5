using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Orleans.Tts.Engine.Tests.Chinese;

/// <summary>Proves the real eSpeak NG reads our pinyin as Mandarin syllables, not as English words.</summary>
[Collection(MandarinCollection.Name)]
public sealed partial class EspeakPinyinTests(MandarinFixture fixture)
{
    [Fact]
    public void ESpeak_reads_our_pinyin_for_ni_hao_shi_jie_as_four_Mandarin_syllables()
    {
        var pinyin = fixture.FrontEnd.ToPinyin("你好世界");

        var phonemes = Phonemes("cmn-latn-pinyin", pinyin);

        AssertNoEnglish(phonemes);
        var syllables = phonemes.Split('|', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(s => s.Length > 1)
            .ToList();
        Assert.Equal(4, syllables.Count);
        Assert.All(syllables, s => Assert.Matches(ToneContour(), s));
    }

    [Fact]
    public void ESpeak_reads_a_whole_sentence_with_numbers_without_switching_to_English()
    {
        var pinyin = fixture.FrontEnd.ToPinyin("2026年，我们的服务增长了50%！");

        var phonemes = Phonemes("cmn-latn-pinyin", pinyin);

        AssertNoEnglish(phonemes);
        Assert.True(ToneContour().Count(phonemes) >= 15, phonemes);
    }

    [Fact]
    public void The_plain_cmn_voice_would_read_tone_digits_as_English_which_is_why_we_use_the_pinyin_voice()
    {
        var phonemes = Phonemes("cmn", "ni3 hao3");

        Assert.Contains("(en)", phonemes);
    }

    private static void AssertNoEnglish(string phonemes)
    {
        Assert.DoesNotContain("(en)", phonemes);      // eSpeak's marker for switching to English
        Assert.DoesNotContain("Tr'i:", phonemes);     // "three"
        Assert.DoesNotContain("f'o@", phonemes);      // "four"
        Assert.DoesNotContain("t'u:", phonemes);      // "two"
    }

    private static string Phonemes(string voice, string text)
    {
        var start = new ProcessStartInfo("espeak-ng")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[] { "-v", voice, "-x", "-q", text })
            start.ArgumentList.Add(argument);

        using var process = Process.Start(start) ?? throw new InvalidOperationException("espeak-ng did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"espeak-ng exited with {process.ExitCode}: {stderr.Result}");
        return stdout.Trim();
    }

    /// <summary>eSpeak writes Mandarin tones as pitch contours of two or three digits (35, 214, 51).</summary>
    [GeneratedRegex(@"[1-5]{2,3}")]
    private static partial Regex ToneContour();
}

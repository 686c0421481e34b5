using Orleans.Tts.Synthesis.Engines.Espeak;
using Orleans.Tts.Synthesis.Text.Chinese;
using Orleans.Tts.Synthesis.Text.Normalization;

// The text the bare command-line engine gets for the Mandarin case: each line of stdin (Han text) as the silo hands it to
// eSpeak for voice espeak:cmn (normalised, then Han → pinyin), one line each on stdout, for `espeak-ng -v cmn-latn-pinyin`.
// Usage: CpuPerRequest pinyin < SENTENCES > PINYIN
if (args is not ["pinyin"])
{
    Console.Error.WriteLine("usage: CpuPerRequest pinyin < SENTENCES > PINYIN");
    return 2;
}
var mandarin = MandarinFrontEnd.LoadDefault();
var frontEnd = new EspeakTextFrontEnd(mandarin.ToPinyin, s => s);
while (Console.ReadLine() is { } line)
{
    if (line.Length == 0) continue;
    var segments = frontEnd.Segment(EspeakTextFrontEnd.MandarinVoice, "cmn", SpeechTextNormalizer.Default.Normalize(line, "cmn"));
    if (segments.Any(s => s.Voice != EspeakTextFrontEnd.MandarinVoice))
    {
        Console.Error.WriteLine($"not all Mandarin: {line}");
        return 1;
    }
    Console.WriteLine(string.Join(' ', segments.Select(s => s.Text)));
}
return 0;

using System.Text;
using Orleans.Tts.Synthesis.Engines.Phonemes;

namespace Orleans.Tts.Synthesis.Engines.Piper;

/// <summary>
/// eSpeak clauses to Piper's phoneme sentences, as piper-phonemize builds them: IPA decomposed to NFD, one
/// phoneme per code point, eSpeak's <c>(lang)</c> flags removed, each clause's punctuation appended
/// (<c>. ? !</c> alone and ending the sentence; <c>, : ;</c> followed by a space).
/// </summary>
public static class PiperPhonemes
{
    private static readonly Rune Space = new(' ');

    public static List<List<Rune>> Sentences(IEnumerable<VoicedClause> clauses)
    {
        var sentences = new List<List<Rune>>();
        List<Rune>? sentence = null;
        string? voice = null;
        foreach (var (espeakVoice, clause) in clauses)
        {
            // Runs in another language (Latin inside a Mandarin voice) join the sentence as another word.
            if (sentence is { Count: > 0 } && voice is not null && espeakVoice != voice && sentence[^1] != Space) sentence.Add(Space);
            voice = espeakVoice;
            sentence ??= [];
            AppendWithoutLanguageFlags(sentence, clause.Phonemes.Normalize(NormalizationForm.FormD));
            switch (clause.Terminator)
            {
                case "." or "?" or "!":
                    sentence.Add(new Rune(clause.Terminator[0]));
                    break;
                case "," or ":" or ";":
                    sentence.Add(new Rune(clause.Terminator[0]));
                    sentence.Add(Space);
                    break;
            }
            if (clause.EndsSentence)
            {
                sentences.Add(sentence);
                sentence = null;
            }
        }
        if (sentence is not null) sentences.Add(sentence);
        return [.. sentences.Where(s => s.Count > 0)];
    }

    /// <summary>Piper's <c>text</c> phoneme type: the text's code points (NFD) as one sentence.</summary>
    public static List<List<Rune>> Codepoints(string text)
    {
        var runes = text.Normalize(NormalizationForm.FormD).EnumerateRunes().ToList();
        return runes.Count == 0 ? [] : [runes];
    }

    /// <summary>Splits a sentence after each phoneme that has a configured silence (Piper's <c>phoneme_silence</c>).</summary>
    public static List<(List<Rune> Phonemes, float SilenceSeconds)> Phrases(List<Rune> sentence, IReadOnlyDictionary<Rune, float> silences)
    {
        if (silences.Count == 0) return [(sentence, 0f)];
        var phrases = new List<(List<Rune>, float)>();
        var phrase = new List<Rune>();
        foreach (var phoneme in sentence)
        {
            phrase.Add(phoneme);
            if (silences.TryGetValue(phoneme, out var seconds))
            {
                phrases.Add((phrase, seconds));
                phrase = [];
            }
        }
        if (phrase.Count > 0) phrases.Add((phrase, 0f));
        return phrases;
    }

    private static void AppendWithoutLanguageFlags(List<Rune> target, string phonemes)
    {
        var inFlag = false;
        foreach (var rune in phonemes.EnumerateRunes())
        {
            if (inFlag)
            {
                if (rune.Value == ')') inFlag = false;
            }
            else if (rune.Value == '(') inFlag = true;
            else target.Add(rune);
        }
    }
}

using Orleans.Tts.Synthesis.Engines.Espeak;

namespace Orleans.Tts.Synthesis.Engines.Phonemes;

/// <summary>The IPA of one clause and the eSpeak voice that read it.</summary>
public sealed record VoicedClause(string EspeakVoice, PhonemeClause Clause);

/// <summary>
/// A sentence to eSpeak IPA for a neural voice: the text is split by script as for eSpeak's own voices
/// (Han through pinyin for Mandarin, kanji through kana for Japanese), and each run phonemised by its voice.
/// </summary>
public sealed class PhonemeFrontEnd(EspeakTextFrontEnd segmenter, IPhonemizer phonemizer)
{
    public async ValueTask<IReadOnlyList<VoicedClause>> PhonemizeAsync(string espeakVoice, string language, string sentence, char? tie,
        CancellationToken cancellationToken)
    {
        var result = new List<VoicedClause>();
        foreach (var segment in segmenter.Segment(espeakVoice, language, sentence))
            foreach (var clause in await phonemizer.PhonemizeAsync(segment.Voice, segment.Text, tie, cancellationToken))
                result.Add(new VoicedClause(segment.Voice, clause));
        return result;
    }
}

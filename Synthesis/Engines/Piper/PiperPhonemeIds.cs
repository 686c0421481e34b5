using System.Text;

namespace Orleans.Tts.Synthesis.Engines.Piper;

/// <summary>
/// Phonemes to model ids exactly as Piper's <c>phonemes_to_ids</c>: the BOS ids, the pad ids, then each
/// phoneme's ids followed by the pad ids, then the EOS ids (no pad after it). A phoneme missing from the
/// map is skipped and counted.
/// </summary>
public static class PiperPhonemeIds
{
    public static long[] Build(IReadOnlyList<Rune> phonemes, IReadOnlyDictionary<Rune, long[]> map, IDictionary<Rune, int>? missing = null)
    {
        var pad = map[new Rune(PiperConfig.Pad)];
        var ids = new List<long>(phonemes.Count * 2 + 4);
        ids.AddRange(map[new Rune(PiperConfig.Bos)]);
        ids.AddRange(pad);
        foreach (var phoneme in phonemes)
        {
            if (!map.TryGetValue(phoneme, out var phonemeIds))
            {
                if (missing is not null) missing[phoneme] = missing.TryGetValue(phoneme, out var n) ? n + 1 : 1;
                continue;
            }
            ids.AddRange(phonemeIds);
            ids.AddRange(pad);
        }
        ids.AddRange(map[new Rune(PiperConfig.Eos)]);
        return [.. ids];
    }
}

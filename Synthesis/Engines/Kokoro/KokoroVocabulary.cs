using System.Text;
using System.Text.Json;

namespace Orleans.Tts.Synthesis.Engines.Kokoro;

/// <summary>Kokoro's phoneme vocabulary: one token per code point, from <c>kokoro-vocab.json</c> (shipped in this assembly).</summary>
public sealed class KokoroVocabulary
{
    private readonly Dictionary<Rune, long> _ids;

    private KokoroVocabulary(Dictionary<Rune, long> ids) => _ids = ids;

    public int Count => _ids.Count;

    public static KokoroVocabulary Load()
    {
        using var stream = typeof(KokoroVocabulary).Assembly.GetManifestResourceStream("kokoro-vocab.json")
            ?? throw new InvalidOperationException("kokoro-vocab.json is not embedded in the Grains assembly.");
        using var document = JsonDocument.Parse(stream);
        var ids = new Dictionary<Rune, long>();
        foreach (var entry in document.RootElement.GetProperty("vocab").EnumerateObject())
            ids[Rune.GetRuneAt(entry.Name, 0)] = entry.Value.GetInt64();
        return new KokoroVocabulary(ids);
    }

    public bool TryGetId(Rune symbol, out long id) => _ids.TryGetValue(symbol, out id);

    /// <summary>The tokens of a phoneme string; symbols outside the vocabulary are dropped and counted in <paramref name="missing"/>.</summary>
    public List<KokoroToken> Encode(string phonemes, IDictionary<Rune, int>? missing = null)
    {
        var tokens = new List<KokoroToken>(phonemes.Length);
        foreach (var rune in phonemes.EnumerateRunes())
        {
            if (_ids.TryGetValue(rune, out var id)) tokens.Add(new KokoroToken(rune, id));
            else if (missing is not null) missing[rune] = missing.TryGetValue(rune, out var n) ? n + 1 : 1;
        }
        return tokens;
    }
}

/// <summary>One phoneme symbol and its token id.</summary>
public readonly record struct KokoroToken(Rune Symbol, long Id);

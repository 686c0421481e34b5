using System.Globalization;

namespace Orleans.Tts.Synthesis.Engines.Kokoro;

/// <summary>
/// A voice blend such as <c>zf_xiaoxiao*0.7+zm_yunxi*0.3</c>: voices joined by <c>+</c>, each with an optional
/// positive weight after <c>*</c> (default 1). Weights are normalised to sum 1.
/// </summary>
public sealed record KokoroBlend(IReadOnlyList<(string Voice, double Weight)> Parts)
{
    public const int MaxParts = 8;

    public static bool LooksLikeBlend(string name) => name.Contains('+') || name.Contains('*');

    /// <summary>Parses a blend; the error says which part is wrong and what is expected.</summary>
    public static KokoroBlend Parse(string spec)
    {
        var pieces = spec.Split('+');
        if (pieces.Length > MaxParts) throw new FormatException($"A blend mixes at most {MaxParts} voices; '{spec}' has {pieces.Length}.");
        var weights = new Dictionary<string, double>(StringComparer.OrdinalIgnoreCase);
        var order = new List<string>();
        foreach (var raw in pieces)
        {
            var piece = raw.Trim();
            var star = piece.IndexOf('*');
            var name = (star < 0 ? piece : piece[..star]).Trim();
            if (name.Length == 0) throw new FormatException($"Voice blend '{spec}' has an empty voice name; write e.g. af_bella*0.7+af_sky*0.3.");
            var weight = 1.0;
            if (star >= 0)
            {
                var text = piece[(star + 1)..].Trim();
                if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out weight) || !double.IsFinite(weight) || weight <= 0)
                    throw new FormatException($"Voice blend '{spec}': the weight of '{name}' must be a positive number, not '{text}'.");
            }
            if (!weights.ContainsKey(name)) order.Add(name);
            weights[name] = weights.GetValueOrDefault(name) + weight;
        }
        var total = weights.Values.Sum();
        return new KokoroBlend([.. order.Select(n => (n, weights[n] / total))]);
    }
}

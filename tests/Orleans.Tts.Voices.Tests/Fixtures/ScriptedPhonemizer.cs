using System.Collections.Concurrent;
using Orleans.Tts.Synthesis.Engines.Phonemes;

namespace Orleans.Tts.Voices.Tests.Fixtures;

/// <summary>
/// Stands in for eSpeak: the "text" is already IPA, and it is cut into clauses after . ? ! , : ; as eSpeak does,
/// each clause carrying its punctuation as terminator. Records every call.
/// </summary>
public sealed class ScriptedPhonemizer : IPhonemizer
{
    public ConcurrentQueue<(string Voice, string Text, char? Tie)> Calls { get; } = new();

    public ValueTask<IReadOnlyList<PhonemeClause>> PhonemizeAsync(string espeakVoice, string text, char? tie, CancellationToken cancellationToken)
    {
        Calls.Enqueue((espeakVoice, text, tie));
        return ValueTask.FromResult(Clauses(text));
    }

    public static IReadOnlyList<PhonemeClause> Clauses(string ipa)
    {
        var clauses = new List<PhonemeClause>();
        var start = 0;
        for (var i = 0; i < ipa.Length; i++)
        {
            if (".?!,:;".Contains(ipa[i]))
            {
                clauses.Add(new PhonemeClause(ipa[start..i].Trim(), ipa[i].ToString()));
                start = i + 1;
            }
        }
        if (ipa[start..].Trim() is { Length: > 0 } rest) clauses.Add(new PhonemeClause(rest, ""));
        return clauses;
    }
}

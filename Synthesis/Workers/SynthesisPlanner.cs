using Orleans.Tts.Synthesis.Text;
using Orleans.Tts.Synthesis.Text.Normalization;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Synthesis.Workers;

/// <summary>
/// The request as ordered work items. Plain text is one segment in the request's style; SSML arrives as segments
/// (text, pauses, voices, prosody). Each spoken segment is normalised before it is split, so "Dr." and "3.5" do not
/// end sentences and every engine gets words, not written forms. Voices are resolved here, so an unknown voice
/// fails before any work starts. A silo plans with it, and so does a frontend (the same code and the same
/// <c>TTS_MAX_SENTENCE_CHARS</c>), which then sends each silo only its sentences.
/// </summary>
public sealed class SynthesisPlanner(SpeechTextNormalizer normalizer, int maxSentenceChars) : ISynthesisPlanner
{
    private readonly SentenceSplitter _splitter = new(maxSentenceChars);

    public SentenceSplitter Splitter => _splitter;

    public IReadOnlyList<PlannedItem> Plan(SynthesisRequest request, Func<string, VoiceInfo> resolve)
    {
        var requestVoice = resolve(request.VoiceId);
        var items = new List<PlannedItem>();
        foreach (var segment in request.Segments ?? [new SpokenSegment(request.Text, SegmentStyle.Default)])
        {
            if (segment is PauseSegment pause)
            {
                items.Add(new PlannedItem(null, requestVoice.Id, Pause: pause.Duration));
            }
            else if (segment is SpokenSegment spoken)
            {
                var style = spoken.Style;
                var voice = style.VoiceId is { } other ? resolve(other) : requestVoice;
                var speed = Math.Clamp(request.Speed * style.Rate, SynthesisRequest.MinSpeed, SynthesisRequest.MaxSpeed);
                var pitch = Math.Clamp(request.Pitch + style.Pitch, SynthesisRequest.MinPitch, SynthesisRequest.MaxPitch);
                var language = style.Language ?? voice.Languages.FirstOrDefault() ?? "";
                if (request.Words)
                {
                    // Word timings: the same cut with each sentence's map to the input (SSML: to the markup's text content).
                    var source = MappedText.FromPairs(spoken.Text, spoken.Source)
                        ?? (request.Segments is null ? MappedText.Identity(spoken.Text) : MappedText.Uniform(spoken.Text, 0, request.Text.Length));
                    foreach (var sentence in _splitter.Split(normalizer.Normalize(source, language)))
                        items.Add(new PlannedItem(sentence.Text, voice.Id, speed, pitch, style.Gain * request.Volume, Source: sentence.ToPairs()));
                    continue;
                }
                var text = normalizer.Normalize(spoken.Text, language);
                foreach (var sentence in _splitter.Split(text))
                    items.Add(new PlannedItem(sentence, voice.Id, speed, pitch, style.Gain * request.Volume));
            }
        }
        return items;
    }
}

using Orleans.Concurrency;
using Orleans.Tts.Speech;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Grains.Speech;

/// <summary>
/// The speech entry point on the silo that receives the call: the pipeline the REST API runs, for callers through Orleans.
/// One reentrant activation per silo: the pipeline keeps no per-call state, and its admission (not Orleans' activation queue)
/// decides how many requests run and how long one may wait.
/// </summary>
[StatelessWorker(1), Reentrant]
public sealed class SpeechGrain(SpeechPipeline speech) : Grain, ISpeechGrain
{
    public async Task<SpeechAudio> SynthesizeAsync(SpeechCommand command, CancellationToken cancellationToken = default) =>
        (await speech.SynthesizeAsync(command, SpeechCaller.Orleans(command), cancellationToken)).Audio!;

    public IAsyncEnumerable<SpeechChunk> StreamAsync(SpeechCommand command, CancellationToken cancellationToken = default) =>
        speech.StreamAsync(command, SpeechCaller.Orleans(command), cancellationToken);

    public Task<IReadOnlyList<VoiceInfo>> GetVoicesAsync() => speech.GetVoicesAsync(CancellationToken.None);
}

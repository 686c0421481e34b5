using System.Runtime.CompilerServices;
using Orleans.Concurrency;
using Orleans.Tts.Speech;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Grains.Speech;

/// <summary>
/// The speech entry point on the silo that receives the call: the pipeline the REST API runs, for callers through Orleans.
/// One reentrant activation per key and silo: the pipeline keeps no per-call state, and its admission (not Orleans' activation
/// queue) decides how many requests run and how long one may wait.
/// </summary>
/// <remarks>
/// <para>The pipeline runs on the thread pool, as for a REST call, not in the activation's turns: encoding a long file is CPU work,
/// and in a turn it held up every other call to the activation (Orleans warned of turns of 1–2 s under load).</para>
/// <para>Idle-worker removal is off: between two pulls of a stream the activation runs no request, and Orleans removes an idle
/// stateless worker after calls queued at it, losing the stream's enumerator (EnumerationAbortedException at the client).</para>
/// </remarks>
[StatelessWorker(1, removeIdleWorkers: false), Reentrant]
public sealed class SpeechGrain(SpeechPipeline speech) : Grain, ISpeechGrain
{
    public Task<SpeechAudio> SynthesizeAsync(SpeechCommand command, CancellationToken cancellationToken = default) =>
        Task.Run(async () => (await speech.SynthesizeAsync(command, SpeechCaller.Orleans(command), cancellationToken)).Audio!, CancellationToken.None);

    /// <remarks>An iterator, so that a refusal (such as a bad caller) is thrown at the first pull: thrown while Orleans starts the
    /// enumeration, it left a half-made enumerator entry behind that failed (with a logged NullReferenceException) when disposed.</remarks>
    public async IAsyncEnumerable<SpeechChunk> StreamAsync(SpeechCommand command, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var chunks = speech.StreamAsync(command, SpeechCaller.Orleans(command), cancellationToken).GetAsyncEnumerator(cancellationToken);
        try
        {
            while (await Task.Run(() => chunks.MoveNextAsync().AsTask(), CancellationToken.None)) yield return chunks.Current;
        }
        finally
        {
            await Task.Run(() => chunks.DisposeAsync().AsTask(), CancellationToken.None);
        }
    }

    public Task<IReadOnlyList<VoiceInfo>> GetVoicesAsync() => speech.GetVoicesAsync(CancellationToken.None);
}

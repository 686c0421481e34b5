using Orleans.Tts.Voices;

namespace Orleans.Tts.Speech;

/// <summary>
/// The one entry point of a synthesis, for REST calls and other .NET services alike: validation, voice resolution, result
/// cache, admission, planning, spreading over silos and encoding all run behind it, so every caller gets the same limits,
/// cache and bytes. A stateless worker: it runs on the silo that receives the call (the caller's own silo, or an external
/// client's gateway). Key 0 is as good as any.
/// Failures a caller can act on are typed: <see cref="SpeechBusyException"/> (retry after its time) and
/// <see cref="SpeechRequestInvalidException"/> (the request is wrong; the same one will be refused again).
/// </summary>
[Alias("tts.ISpeechGrain")]
public interface ISpeechGrain : IGrainWithIntegerKey
{
    /// <summary>The whole encoded file.</summary>
    [Alias("synthesize"), ResponseTimeout("00:02:00")]
    Task<SpeechAudio> SynthesizeAsync(SpeechCommand command, CancellationToken cancellationToken = default);

    /// <summary>
    /// The encoded file in chunks as its sentences are synthesised (first <see cref="SpeechChunk.Start"/>, last
    /// <see cref="SpeechChunk.End"/>); the concatenated chunks are the stream form of the file (for WAV: sizes 0xFFFFFFFF).
    /// Pulled by the caller: a caller that stops enumerating or cancels stops the remaining sentences on every silo.
    /// </summary>
    [Alias("stream")]
    IAsyncEnumerable<SpeechChunk> StreamAsync(SpeechCommand command, CancellationToken cancellationToken = default);

    /// <summary>Every voice the cluster speaks with, with its fallback voice.</summary>
    [Alias("voices")]
    Task<IReadOnlyList<VoiceInfo>> GetVoicesAsync();
}

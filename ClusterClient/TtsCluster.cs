using System.Runtime.CompilerServices;
using Orleans.Runtime;
using Orleans.Tts.Speech;
using Orleans.Tts.Voices;

namespace Orleans.Tts.ClusterClient;

/// <summary>
/// The Orleans.Tts cluster for a .NET service that is an Orleans client of it: the same limits, cache and bytes as the REST
/// API, without HTTP. A request the cluster refuses as wrong throws <see cref="SpeechRequestInvalidException"/> (its detail
/// says what is allowed); one it cannot take now throws <see cref="SpeechBusyException"/> with the time to retry after.
/// Jobs are not here yet (they still live in the REST API's store); speakers join once they are grains.
/// </summary>
public interface ITtsCluster
{
    /// <summary>The whole encoded file.</summary>
    Task<SpeechAudio> SynthesizeAsync(SpeechCommand command, CancellationToken cancellationToken = default);

    /// <summary>
    /// The encoded file in chunks as its sentences are ready; concatenated, they are the file's stream form. Stopping the
    /// enumeration or cancelling stops the remaining sentences on every silo.
    /// </summary>
    IAsyncEnumerable<SpeechChunk> StreamAsync(SpeechCommand command, CancellationToken cancellationToken = default);

    /// <summary>Every voice the cluster speaks with, with its fallback.</summary>
    Task<IReadOnlyList<VoiceInfo>> ListVoicesAsync(CancellationToken cancellationToken = default);
}

/// <summary>The facade over <see cref="ISpeechGrain"/>.</summary>
public sealed class TtsCluster(IClusterClient client) : ITtsCluster
{
    /// <summary>
    /// Speech grain keys a client spreads its calls over: a client sends each grain id to one gateway (by bucket), so one key
    /// would put every request's validation, admission and encoding on one silo.
    /// </summary>
    private const int Keys = 64;

    public async Task<SpeechAudio> SynthesizeAsync(SpeechCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        try
        {
            return await Grain().SynthesizeAsync(command, cancellationToken);
        }
        catch (GatewayTooBusyException e)
        {
            throw Shed(e);
        }
    }

    public async IAsyncEnumerable<SpeechChunk> StreamAsync(SpeechCommand command, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        // The token goes to the grain method too: a cancellation reaches the silo at once, not at the next pull.
        await using var chunks = Grain().StreamAsync(command, cancellationToken).GetAsyncEnumerator(cancellationToken);
        while (true)
        {
            try
            {
                if (!await chunks.MoveNextAsync()) yield break;
            }
            catch (GatewayTooBusyException e)
            {
                throw Shed(e);
            }
            yield return chunks.Current;
        }
    }

    public Task<IReadOnlyList<VoiceInfo>> ListVoicesAsync(CancellationToken cancellationToken = default) =>
        Grain().GetVoicesAsync().WaitAsync(cancellationToken);

    private ISpeechGrain Grain() => client.GetGrain<ISpeechGrain>(Random.Shared.Next(Keys));

    /// <summary>The gateway's load shedding is the cluster being busy too.</summary>
    private static SpeechBusyException Shed(GatewayTooBusyException e) =>
        new($"The cluster's gateway sheds load ({e.Message}); retry shortly.", TimeSpan.FromSeconds(1));
}

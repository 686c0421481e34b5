using System.Net;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Runtime;
using Orleans.Tts.Cluster;
using Orleans.Tts.Grains.Synthesis;
using Orleans.Tts.Jobs;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Grains.Tests;

/// <summary>
/// The frontend's sentence calls when the Orleans client loses a gateway. A call sent through a gateway that dies is never answered
/// (the chaos run: a sentence for a live silo waited for Orleans' 30 s response timeout, holding its request's permit while a third of
/// the cluster's permits were gone with the killed silo), so the worker asks again elsewhere as soon as a gateway connection closes.
/// </summary>
public sealed class ClusterSynthesisWorkerTests
{
    [Fact]
    public async Task A_sentence_whose_call_went_through_a_gateway_that_closed_is_asked_again_of_another_silo_at_once()
    {
        // The first silo is picked first; its call went through the gateway that is about to close.
        var (directory, through, other, worker) = TwoSilos(TimeSpan.FromMilliseconds(100));
        using var _ = worker;

        var synthesis = worker.SynthesizeAsync(new SynthesisRequest("One sentence.", "espeak:en-us")).AsTask();
        await through.Asked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.False(synthesis.IsCompleted);

        directory.LoseGateway();
        var clip = await synthesis.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(other.Clip.Samples, clip.Samples);
        Assert.Equal(1, other.Calls);
        // The abandoned call is cancelled (Orleans tells its silo, should the call have got there after all).
        await through.Cancelled.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // That silo is alive and was not to blame: the next sentence goes to it again.
        var next = worker.SynthesizeAsync(new SynthesisRequest("Another sentence.", "espeak:en-us")).AsTask();
        await through.AskedAgain.Task.WaitAsync(TimeSpan.FromSeconds(30));
        through.Answer();
        Assert.Equal(through.Clip.Samples, (await next.WaitAsync(TimeSpan.FromSeconds(30))).Samples);
        Assert.Equal(1, other.Calls);
    }

    [Fact]
    public async Task A_sentence_answered_within_the_grace_after_a_gateway_closed_is_not_asked_twice()
    {
        // Most calls in flight when a gateway closes went through another one: they are answered in their usual time and must not
        // be thrown away and done again on the cluster that just lost a silo.
        var (directory, slow, other, worker) = TwoSilos(TimeSpan.FromSeconds(30));
        using var _ = worker;

        var synthesis = worker.SynthesizeAsync(new SynthesisRequest("One sentence.", "espeak:en-us")).AsTask();
        await slow.Asked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        directory.LoseGateway();
        slow.Answer();
        var clip = await synthesis.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(slow.Clip.Samples, clip.Samples);
        Assert.Equal(0, other.Calls);
        Assert.False(slow.Cancelled.Task.IsCompleted);
    }

    [Fact]
    public async Task Without_a_lost_gateway_a_sentence_in_flight_is_not_asked_twice()
    {
        var (directory, slow, other, worker) = TwoSilos(TimeSpan.FromSeconds(30));
        using var _ = worker;

        var synthesis = worker.SynthesizeAsync(new SynthesisRequest("One sentence.", "espeak:en-us")).AsTask();
        await slow.Asked.Task.WaitAsync(TimeSpan.FromSeconds(30));
        slow.Answer();
        var clip = await synthesis.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(slow.Clip.Samples, clip.Samples);
        Assert.Equal(0, other.Calls);
    }

    /// <summary>Two silos behind a fake directory: the first (picked first: it reports no load) holds its sentences until told to answer, the second answers at once.</summary>
    private static (Directory Directory, SentenceGrain First, SentenceGrain Other, ClusterSynthesisWorker Worker) TwoSilos(TimeSpan gatewayGrace)
    {
        var first = new SentenceGrain(answers: false, seed: 1);
        var other = new SentenceGrain(answers: true, seed: 2);
        var directory = new Directory([Gateway("silo-a", 1, load: 0), Gateway("silo-b", 2, load: 1)]);
        var grains = new Grains(new Dictionary<string, ISynthesisGrain> { [directory.Gateways[0].Id] = first, [directory.Gateways[1].Id] = other });
        var worker = new ClusterSynthesisWorker(grains, directory, new SpreadOptions(RequestLanes: 1, GatewayGrace: gatewayGrace), NullLogger<ClusterSynthesisWorker>.Instance);
        return (directory, first, other, worker);
    }

    private static SiloGateway Gateway(string name, int port, int load)
    {
        var address = SiloAddress.New(new IPEndPoint(IPAddress.Loopback, 11110 + port), 1);
        return new SiloGateway(address.ToParsableString(), address, Capacity: 1, Load: load, Queued: 0, Name: name);
    }

    private sealed class Directory(IReadOnlyList<SiloGateway> gateways) : ISiloDirectory
    {
        public IReadOnlyList<SiloGateway> Gateways => gateways;
        public DateTimeOffset? RefreshedAt => DateTimeOffset.UtcNow;
        public IReadOnlyDictionary<string, string> Names => gateways.ToDictionary(g => g.Id, g => g.Name);
        public Task RefreshAsync(CancellationToken cancellationToken = default) => Task.CompletedTask;
        public event Action<string>? SiloLost { add { } remove { } }
        public event Action? GatewayLost;
        public void LoseGateway() => GatewayLost?.Invoke();
    }

    /// <summary>A silo's synthesis grain: answers each sentence at once, or holds it until <see cref="Answer"/> (a call nobody answers).</summary>
    private sealed class SentenceGrain(bool answers, int seed) : ISynthesisGrain
    {
        private TaskCompletionSource<SentenceResult> _held = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;
        public AudioClip Clip { get; } = new(22050, Enumerable.Range(0, 2205).Select(i => (short)(i * 7 * seed % 3000 - 1500)).ToArray());
        public int Calls => Volatile.Read(ref _calls);
        public TaskCompletionSource Asked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource AskedAgain { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public TaskCompletionSource Cancelled { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Answer() => _held.TrySetResult(new SentenceResult(SentenceOutcome.Done, Clip, 1));

        public Task<SentenceResult> SynthesizeItemAsync(SynthesisRequest request, int index, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref _calls) > 1) AskedAgain.TrySetResult();
            Asked.TrySetResult();
            cancellationToken.Register(() => Cancelled.TrySetResult());
            return answers ? Task.FromResult(new SentenceResult(SentenceOutcome.Done, Clip, 1)) : _held.Task;
        }

        public Task<SentenceResult> SynthesizePlannedAsync(PlannedSynthesisRequest request, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException("The worker has no planner here: it sends whole requests.");
        public Task<SiloVoices> GetVoicesAsync() => throw new NotSupportedException();
        public Task<JobUnitResult> RunJobUnitAsync(JobUnitWork work, CancellationToken cancellationToken = default) => throw new NotSupportedException();
        public Task CancelJobAsync(string jobId) => throw new NotSupportedException();
        public Task<SiloLoad> GetLoadAsync() => throw new NotSupportedException();
    }

    /// <summary>Hands out the synthesis grains above by key; nothing else is asked of a grain factory here.</summary>
    private sealed class Grains(IReadOnlyDictionary<string, ISynthesisGrain> synthesis) : IGrainFactory
    {
        public TGrainInterface GetGrain<TGrainInterface>(string primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithStringKey =>
            (TGrainInterface)synthesis[primaryKey];
        public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidKey => throw new NotSupportedException();
        public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerKey => throw new NotSupportedException();
        public TGrainInterface GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithGuidCompoundKey => throw new NotSupportedException();
        public TGrainInterface GetGrain<TGrainInterface>(long primaryKey, string keyExtension, string? grainClassNamePrefix = null) where TGrainInterface : IGrainWithIntegerCompoundKey => throw new NotSupportedException();
        public TGrainObserverInterface CreateObjectReference<TGrainObserverInterface>(IGrainObserver obj) where TGrainObserverInterface : IGrainObserver => throw new NotSupportedException();
        public void DeleteObjectReference<TGrainObserverInterface>(IGrainObserver obj) where TGrainObserverInterface : IGrainObserver => throw new NotSupportedException();
        public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey) => throw new NotSupportedException();
        public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey) => throw new NotSupportedException();
        public IGrain GetGrain(Type grainInterfaceType, string grainPrimaryKey) => throw new NotSupportedException();
        public IGrain GetGrain(Type grainInterfaceType, Guid grainPrimaryKey, string keyExtension) => throw new NotSupportedException();
        public IGrain GetGrain(Type grainInterfaceType, long grainPrimaryKey, string keyExtension) => throw new NotSupportedException();
        public TGrainInterface GetGrain<TGrainInterface>(GrainId grainId) where TGrainInterface : IAddressable => throw new NotSupportedException();
        public IAddressable GetGrain(GrainId grainId) => throw new NotSupportedException();
        public IAddressable GetGrain(GrainId grainId, GrainInterfaceType interfaceType) => throw new NotSupportedException();
        public IAddressable GetGrain(Type interfaceType, IdSpan grainKey, string grainClassNamePrefix) => throw new NotSupportedException();
        public IAddressable GetGrain(Type interfaceType, IdSpan grainKey) => throw new NotSupportedException();
    }
}

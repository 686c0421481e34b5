using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Orleans.Tts.Cluster;
using Orleans.Tts.Synthesis;
using Orleans.Tts.Voices;

namespace Orleans.Tts.Frontend.Remote;

/// <param name="Attempts">Silos tried for one synthesis (first try, retries and resumptions together) before giving up.</param>
/// <param name="ConnectTimeout">How long connecting to one silo may take.</param>
public sealed record RemoteWorkerOptions(int Attempts = 4, TimeSpan? ConnectTimeout = null);

/// <summary>
/// The synthesis workers of the whole cluster, as a frontend sees them: each synthesis goes to a lightly loaded
/// silo (power of two random choices on reported load plus this frontend's own requests in flight) over HTTP/2
/// cleartext, and comes back as binary sentence frames. A silo that cannot be reached, answers 503 or breaks off
/// mid-stream is left for another, which resumes at the first sentence not yet received, within the attempt budget.
/// </summary>
public sealed class RemoteSynthesisWorker : ISynthesisWorker, IDisposable
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly ISiloDirectory _directory;
    private readonly RemoteWorkerOptions _options;
    private readonly ILogger<RemoteSynthesisWorker> _logger;
    private readonly HttpClient _http;
    private readonly ConcurrentDictionary<string, int> _inFlight = new();
    private IReadOnlyList<VoiceInfo>? _voices;
    private int _running;
    private long _retries;

    public RemoteSynthesisWorker(ISiloDirectory directory, RemoteWorkerOptions options, ILogger<RemoteSynthesisWorker> logger)
    {
        _directory = directory;
        _options = options;
        _logger = logger;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = options.ConnectTimeout ?? TimeSpan.FromSeconds(2),
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
        })
        {
            DefaultRequestVersion = HttpVersion.Version20,
            DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public async ValueTask<IReadOnlyList<VoiceInfo>> GetVoicesAsync(CancellationToken cancellationToken = default)
    {
        if (_voices is { } known) return known;
        foreach (var silo in _directory.Gateways.OrderBy(_ => Random.Shared.Next()))
        {
            try
            {
                var voices = await _http.GetFromJsonAsync<List<VoiceInfo>>($"{silo.InternalAddress.TrimEnd('/')}/internal/v1/voices", Json, cancellationToken);
                if (voices is { Count: > 0 }) return _voices = voices;
            }
            catch (HttpRequestException e)
            {
                _logger.LogWarning("Silo {Silo} did not list its voices: {Error}", silo.Id, e.Message);
            }
        }
        return [];
    }

    public WorkerPoolStatus Status
    {
        get
        {
            var gateways = _directory.Gateways;
            var detail = new Dictionary<string, string>
            {
                ["frontend.silos"] = string.Join(",", gateways.Select(g => g.Id)),
                ["frontend.retries"] = Interlocked.Read(ref _retries).ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["frontend.silosRefreshedAt"] = _directory.RefreshedAt?.ToString("O") ?? "never",
            };
            if (gateways.Count == 0) detail["frontend"] = "no live silo with an internal endpoint in the membership table yet";
            return new WorkerPoolStatus(gateways.Count > 0, gateways.Sum(g => g.Capacity), Volatile.Read(ref _running), 0, 0, detail);
        }
    }

    public async ValueTask<AudioClip> SynthesizeAsync(SynthesisRequest request, CancellationToken cancellationToken = default)
    {
        var clips = new List<AudioClip>();
        await foreach (var clip in StreamAsync(request, cancellationToken)) clips.Add(clip);
        if (clips.Count > 0) return AudioClip.Concat(clips[0].SampleRate, clips);
        var rate = (await GetVoicesAsync(cancellationToken)).FirstOrDefault(v => v.Id.Equals(request.VoiceId, StringComparison.OrdinalIgnoreCase))?.SampleRate ?? 22050;
        return AudioClip.Empty(rate);
    }

    public async IAsyncEnumerable<AudioClip> StreamAsync(SynthesisRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var received = 0;
        var tried = new HashSet<string>();
        TimeSpan? retryAfter = null;
        string last = "no silo was tried";
        Interlocked.Increment(ref _running);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var silo = Pick(tried);
                if (silo is null && tried.Count > 0)
                {
                    // Every known silo failed: perhaps the list is stale; read it again and start over.
                    try { await _directory.RefreshAsync(cancellationToken); } catch (Exception e) when (e is not OperationCanceledException) { }
                    tried.Clear();
                    silo = Pick(tried);
                }
                if (silo is null || attempt > _options.Attempts)
                {
                    if (retryAfter is { } wait) throw new WorkerPoolSaturatedException(wait, 0, 0);
                    throw new EngineUnavailableException(silo is null
                        ? "No silo is available to synthesise (none is registered as active)."
                        : $"{_options.Attempts} silos were tried and none completed the synthesis (last: {last}).");
                }
                if (attempt > 1) Interlocked.Increment(ref _retries);
                tried.Add(silo.Id);
                _inFlight.AddOrUpdate(silo.Id, 1, (_, n) => n + 1);
                try
                {
                    using var message = new HttpRequestMessage(HttpMethod.Post, $"{silo.InternalAddress.TrimEnd('/')}{SentenceFrames.Path}")
                    {
                        Content = JsonContent.Create(new RemoteSynthesisRequest(request, received), options: Json),
                        Version = HttpVersion.Version20,
                        VersionPolicy = HttpVersionPolicy.RequestVersionExact,
                    };
                    HttpResponseMessage response;
                    try
                    {
                        response = await _http.SendAsync(message, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                    }
                    catch (HttpRequestException e) when (!cancellationToken.IsCancellationRequested)
                    {
                        last = $"{silo.Id}: {e.Message}";
                        _logger.LogWarning("Silo {Silo} could not be reached ({Error}); trying another", silo.Id, e.Message);
                        continue;
                    }
                    using (response)
                    {
                        if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                        {
                            retryAfter = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                            last = $"{silo.Id}: 503";
                            continue;
                        }
                        if (response.StatusCode == HttpStatusCode.BadRequest
                            && (await response.Content.ReadAsStringAsync(cancellationToken)).Contains("Unknown voice", StringComparison.Ordinal))
                            throw new UnknownVoiceException(request.VoiceId);
                        if (!response.IsSuccessStatusCode)
                        {
                            last = $"{silo.Id}: {(int)response.StatusCode}";
                            continue;
                        }
                        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
                        await using var frames = SentenceFrames.ReadAsync(body, cancellationToken).GetAsyncEnumerator(cancellationToken);
                        while (true)
                        {
                            bool more;
                            try
                            {
                                more = await frames.MoveNextAsync();
                            }
                            catch (Exception e) when (!cancellationToken.IsCancellationRequested && e is IOException or HttpRequestException or InvalidDataException)
                            {
                                last = $"{silo.Id} broke off after sentence {received}: {e.Message}";
                                _logger.LogWarning("Silo {Silo} broke off a stream after {Sentences} sentences ({Error}); resuming on another", silo.Id, received, e.Message);
                                break;
                            }
                            if (!more) yield break;
                            received++;
                            yield return frames.Current;
                        }
                    }
                }
                finally
                {
                    _inFlight.AddOrUpdate(silo.Id, 0, (_, n) => n - 1);
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    /// <summary>Power of two random choices among the silos not yet tried, on (reported load + our requests in flight) / capacity.</summary>
    private SiloGateway? Pick(HashSet<string> tried)
    {
        var candidates = _directory.Gateways.Where(g => !tried.Contains(g.Id)).ToList();
        if (candidates.Count <= 1) return candidates.FirstOrDefault();
        var a = candidates[Random.Shared.Next(candidates.Count)];
        var b = candidates[Random.Shared.Next(candidates.Count - 1) is var j && candidates[j] == a ? candidates.Count - 1 : j];
        return Score(a) <= Score(b) ? a : b;
    }

    private double Score(SiloGateway g) => (g.Load + g.Queued + _inFlight.GetValueOrDefault(g.Id)) / (double)Math.Max(1, g.Capacity);

    public void Dispose() => _http.Dispose();
}

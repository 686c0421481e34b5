namespace Orleans.Tts.Client;

/// <summary>Where <see cref="TtsClient"/> sends a call: the Frontend's one URL, or a silo picked from the cluster's live silos.</summary>
public interface ITtsGateways
{
    /// <summary>
    /// A gateway not in <paramref name="tried"/> (none left: null), lightly loaded by what is known. The first call may read
    /// the list; a list that cannot be read and was never read throws <see cref="TtsUnavailableException"/>.
    /// </summary>
    ValueTask<Uri?> PickAsync(IReadOnlySet<Uri> tried, CancellationToken cancellationToken = default);

    /// <summary>A call to <paramref name="gateway"/> starts (true) or ends (false): counted in its load until the next refresh.</summary>
    void Track(Uri gateway, bool started);

    /// <summary><paramref name="gateway"/> could not be reached: avoid it until the list says it is alive again.</summary>
    void Unreachable(Uri gateway);
}

/// <summary>The Frontend at one URL (it routes to the silos itself).</summary>
public sealed class FrontendGateway(Uri baseAddress) : ITtsGateways
{
    public ValueTask<Uri?> PickAsync(IReadOnlySet<Uri> tried, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(tried.Contains(baseAddress) ? null : baseAddress);

    public void Track(Uri gateway, bool started) { }

    public void Unreachable(Uri gateway) { }
}

/// <summary>No gateway could be reached (every silo refused the connection, or the gateway list could not be read).</summary>
public sealed class TtsUnavailableException(string message, Exception? inner = null) : HttpRequestException(message, inner);

namespace Orleans.Tts.Grains.Cluster;

/// <summary>
/// The Orleans client's connections to its gateways (<see cref="IClusterConnectionStatusObserver"/>, registered on the frontend
/// tier): <see cref="Closed"/> is raised when one closes. A call the client sent through a gateway that then died (kill -9 of a
/// silo, a lost node) is never answered, even when the silo it was for is alive: Orleans gives up on it only at its response
/// timeout (30 s), and the call holds its request's permit all that time. Callers re-ask what they have in flight.
/// </summary>
public sealed class GatewayConnections : IClusterConnectionStatusObserver
{
    public event Action? Closed;

    public void NotifyGatewayCountChanged(int currentNumberOfGateways, int previousNumberOfGateways, bool connectionRecovered)
    {
        if (currentNumberOfGateways < previousNumberOfGateways) Closed?.Invoke();
    }

    // Orleans reports the last gateway's loss as a count change to zero too.
    public void NotifyClusterConnectionLost() { }
}

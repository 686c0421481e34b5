namespace Orleans.Tts.Jobs;

/// <summary>
/// The latest cluster-wide job backlog and storage use, read from the job store by job maintenance every 2 s in every
/// process; <c>/ready</c> and <c>/metrics</c> report it without a query of their own.
/// </summary>
public sealed class JobUsage
{
    private volatile Snapshot? _latest;

    public sealed record Snapshot(JobBacklog Backlog, DateTimeOffset At);

    /// <summary>Null until the store was read once.</summary>
    public Snapshot? Latest => _latest;

    public void Update(JobBacklog backlog, DateTimeOffset at) => _latest = new Snapshot(backlog, at);
}

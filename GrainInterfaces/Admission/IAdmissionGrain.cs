namespace Orleans.Tts.Admission;

/// <summary>
/// The cluster's synthesis permits (one activation, key 0): at most the global limit are held at any instant, and one
/// client holds at most its share of them. Holders are silos and frontends; each holder queues its own requests and asks
/// here only for permits. They are leased: a grant may carry a few more permits than asked while the cluster has room, and a
/// holder keeps a permit its client gave back for a moment, so steady traffic is admitted by the holders alone and this
/// activation sees only changes in demand. Nothing is stored: a new activation of this grain (its silo died) asks every live
/// silo what it holds (<see cref="IAdmissionHolderGrain"/>) before it grants anything. The permits of a silo that Orleans
/// declares dead return at once, a frontend's once it has not been heard from for a few seconds.
/// </summary>
[Alias("tts.IAdmissionGrain")]
public interface IAdmissionGrain : IGrainWithIntegerKey
{
    /// <summary>
    /// At least one permit for <see cref="PermitClaim.ClientId"/>, granted or refused at once; while the cluster has room the grant
    /// carries a few more (<see cref="PermitAnswer.Count"/>), which the holder keeps for that client's next requests.
    /// </summary>
    [Alias("acquire")]
    Task<PermitAnswer> AcquireAsync(PermitClaim claim);

    /// <summary>Gives <see cref="PermitClaim.Count"/> permits of <see cref="PermitClaim.ClientId"/> back.</summary>
    [Alias("release")]
    Task<PermitAnswer> ReleaseAsync(PermitClaim claim);

    /// <summary>
    /// The holder's holdings (<see cref="PermitClaim.Holding"/>) as of its operation <see cref="PermitClaim.Seq"/>, sent every
    /// second: they replace what this activation counts for that holder, except for the grants and give-backs the snapshot could
    /// not reflect yet (numbered after it, or still on the way: <see cref="PermitClaim.Granting"/>, <see cref="PermitClaim.Releasing"/>).
    /// So a grant whose answer was lost, or a give-back that never arrived, stops counting, and one that crossed the report on
    /// the way counts exactly once. The answer says whether the cluster is short of permits (<see cref="PermitAnswer.Pressure"/>).
    /// </summary>
    [Alias("report")]
    Task<PermitAnswer> ReportAsync(PermitClaim claim);

    /// <summary>The limit and the permits held now, by holder.</summary>
    [Alias("snapshot")]
    Task<AdmissionSnapshot> GetSnapshotAsync();
}

/// <param name="Holder">Who holds: a silo's address (its permits return when it is declared dead) or a frontend's id.</param>
/// <param name="Silo">The holder is a silo (<see cref="Holder"/> is then its parsable address).</param>
/// <param name="Capacity">Syntheses the holder runs at once (0 for a frontend): the live silos' sum is the default limit.</param>
/// <param name="ClientId">The client the permit is for (acquire), or whose permit is given back (release).</param>
/// <param name="Holding">What the holder holds, per client: in a holder's answer to a new activation of the grain and in its reports.</param>
/// <param name="Count">Permits given back (release); 0 reads as 1.</param>
/// <param name="Seq">
/// The holder's own running number of its calls: the number of this acquire or release, or for <see cref="Holding"/> the last
/// one numbered when it was taken. 0 (unnumbered) makes a report replace the holder's record as it is.
/// </param>
/// <param name="Granting">Acquires numbered up to <see cref="Seq"/> whose answer <see cref="Holding"/> does not reflect yet.</param>
/// <param name="Releasing">Releases numbered up to <see cref="Seq"/> that <see cref="Holding"/> reflects but whose answer has not come back.</param>
[GenerateSerializer, Immutable, Alias("tts.PermitClaim")]
public sealed record PermitClaim([property: Id(0)] string Holder, [property: Id(1)] bool Silo, [property: Id(2)] int Capacity,
    [property: Id(3)] string ClientId, [property: Id(4)] IReadOnlyDictionary<string, int>? Holding = null, [property: Id(5)] int Count = 1,
    [property: Id(6)] long Seq = 0, [property: Id(7)] IReadOnlyList<long>? Granting = null, [property: Id(8)] IReadOnlyList<long>? Releasing = null);

/// <param name="Granted">The permit is the holder's (acquire only).</param>
/// <param name="Limit">Permits of the cluster.</param>
/// <param name="InUse">Permits held now, cluster-wide.</param>
/// <param name="ClientInUse">Permits the client holds now, cluster-wide.</param>
/// <param name="Count">Permits granted (acquire only): the one asked for and any leased with it.</param>
/// <param name="Pressure">A request was refused a permit within the last second: holders give back the permits they keep unused.</param>
[GenerateSerializer, Immutable, Alias("tts.PermitAnswer")]
public sealed record PermitAnswer([property: Id(0)] bool Granted, [property: Id(1)] int Limit, [property: Id(2)] int InUse, [property: Id(3)] int ClientInUse,
    [property: Id(4)] int Count = 0, [property: Id(5)] bool Pressure = false);

/// <param name="ByHolder">Permits held per holder.</param>
[GenerateSerializer, Immutable, Alias("tts.AdmissionSnapshot")]
public sealed record AdmissionSnapshot([property: Id(0)] int Limit, [property: Id(1)] int InUse, [property: Id(2)] IReadOnlyDictionary<string, int> ByHolder);

/// <summary>
/// A silo's admission holder, asked by <see cref="IAdmissionGrain"/> what the silo holds: keyed by the silo's address
/// (<see cref="Synthesis.SynthesisGrainKey.Of"/>) and placed only there.
/// </summary>
[Alias("tts.IAdmissionHolderGrain")]
public interface IAdmissionHolderGrain : IGrainWithStringKey
{
    [Alias("holding")]
    Task<PermitClaim> GetHoldingAsync();
}

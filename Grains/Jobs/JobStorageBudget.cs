using System.Globalization;
using System.Text;
using Orleans.Tts.Jobs;

namespace Orleans.Tts.Grains.Jobs;

/// <summary>One result that holds storage until it expires (for when space frees up).</summary>
public readonly record struct HeldResult(DateTimeOffset ExpiresAt, long Bytes);

/// <summary>
/// The storage budget of jobs (TTS_JOB_STORAGE_MAX_BYTES, TTS_JOB_STORAGE_CLIENT_SHARE), shared by both stores: a job's expected
/// PCM from its text, voice rate and speed; whether it fits next to what is stored and reserved; and when it would. Results
/// are stored as 16-bit mono PCM whatever the job's response_format (it is encoded when read), so the format does not change
/// what a job holds. A job counts its expected size while queued or running and its real size once units are done.
/// </summary>
public sealed class JobStorageBudget(JobOptions options)
{
    /// <summary>Assumed when the voice's rate is unknown: the highest rate of the shipped engines' voices.</summary>
    public const int UnknownRate = 48_000;

    /// <summary>
    /// Characters spoken per second at speed 1. eSpeak NG reads English at 14–17 (spaces and punctuation included; measured
    /// from WAV lengths, bench/RESULTS.md); 12 errs towards more audio, so a running job rarely stores more than it reserved.
    /// </summary>
    public const double CharsPerSecond = 12;

    /// <summary>How often stores sweep expired results (<see cref="JobMaintenance.Interval"/>): space frees up that much after an expiry.</summary>
    private static readonly TimeSpan SweepDelay = JobMaintenance.Interval;

    public long LimitBytes => options.StorageMaxBytes;

    /// <summary>The expected PCM bytes of a job's result.</summary>
    public static long Estimate(JobSpec spec) => BytesFor(SpokenLength(spec.Input), spec);

    private static long BytesFor(double spokenLength, JobSpec spec)
    {
        var seconds = spokenLength / (CharsPerSecond * Math.Max(0.1, spec.Speed));
        var rate = spec.SampleRate > 0 ? spec.SampleRate : UnknownRate;
        return (long)Math.Ceiling(seconds * rate * 2);
    }

    /// <summary>
    /// Characters weighted by how long they take to say: a Han, kana or Hangul character is a syllable (about three Latin
    /// letters' time) and a digit grows when numbers are read out in words.
    /// </summary>
    public static double SpokenLength(string text)
    {
        var length = 0.0;
        foreach (var rune in text.EnumerateRunes())
        {
            length += rune.Value switch
            {
                >= 0x3040 and <= 0x30FF or >= 0x3400 and <= 0x9FFF or >= 0xAC00 and <= 0xD7AF or >= 0xF900 and <= 0xFAFF or >= 0x20000 and <= 0x3FFFF => 3,
                _ when Rune.IsDigit(rune) => 2,
                _ => 1,
            };
        }
        return length;
    }

    /// <summary>
    /// Throws <see cref="JobTooLargeException"/> when the job alone exceeds the budget (or the key's share); returns the limit it
    /// would exceed next to what is held now (turn it into the refusal with <see cref="Refuse"/>), or null when it fits.
    /// </summary>
    /// <param name="used">Stored plus reserved bytes, cluster-wide.</param>
    /// <param name="ownerUsed">The same for the submitting key's jobs (ignored without an owner).</param>
    public Overflow? Check(JobSpec spec, long estimate, long used, long ownerUsed)
    {
        var limit = options.StorageMaxBytes;
        var clientLimit = spec.Owner is null ? long.MaxValue : options.StorageClientMaxBytes;
        var (bound, share) = clientLimit < limit ? (clientLimit, true) : (limit, false);
        if (estimate > bound)
        {
            var fits = (int)Math.Clamp(Math.Floor(spec.Input.Length * (double)bound / Math.Max(1, estimate)), 0, int.MaxValue);
            var whose = share ? $"one API key's share of the job storage ({Format(bound)}, {Share} of {Format(limit)})" : $"the job storage ({Format(limit)})";
            throw new JobTooLargeException(
                $"This job's audio is expected to take about {Format(estimate)} (16-bit PCM at {Rate(spec)} Hz), more than {whose} holds. " +
                $"Split the text into jobs of at most about {fits} characters each at this voice and speed.", estimate, bound, fits);
        }
        if (used + estimate > limit) return new Overflow(spec, estimate, used, limit, ClientShare: false);
        if (spec.Owner is not null && ownerUsed + estimate > clientLimit) return new Overflow(spec, estimate, ownerUsed, clientLimit, ClientShare: true);
        return null;
    }

    /// <summary>A job that does not fit now: <paramref name="Used"/> of <paramref name="Limit"/> (the whole budget, or the key's share) is held.</summary>
    public sealed record Overflow(JobSpec Spec, long Estimate, long Used, long Limit, bool ClientShare)
    {
        public long Excess => Used + Estimate - Limit;
    }

    /// <summary>The refusal of an <see cref="Overflow"/>; <paramref name="held"/>: the finished results holding the exceeded limit's storage.</summary>
    public JobStorageFullException Refuse(Overflow overflow, IReadOnlyList<HeldResult> held, DateTimeOffset now)
    {
        var retry = RetryAfter(held, overflow.Excess, now);
        var whose = overflow.ClientShare
            ? $"This API key's jobs hold {Format(overflow.Used)} of the {Format(overflow.Limit)} one key may hold ({Share} of the job storage, TTS_JOB_STORAGE_MAX_BYTES {Format(options.StorageMaxBytes)})"
            : $"Jobs hold {Format(overflow.Used)} of the {Format(overflow.Limit)} of job storage (TTS_JOB_STORAGE_MAX_BYTES: stored results until they expire, plus the expected audio of queued and running jobs)";
        return new JobStorageFullException(
            $"{whose}; this job's audio is expected to take about {Format(overflow.Estimate)} (16-bit PCM at {Rate(overflow.Spec)} Hz). " +
            $"Retry in {Math.Ceiling(retry.TotalSeconds)} s, when enough results will have expired, or cancel jobs you no longer need.",
            overflow.Estimate, overflow.Used, overflow.Limit, overflow.ClientShare, retry);
    }

    /// <summary>
    /// When <paramref name="excess"/> bytes will have been freed by results expiring (soonest first); when the finished results
    /// alone cannot free it, the running jobs' results must finish and expire too: a TTL from now.
    /// </summary>
    public TimeSpan RetryAfter(IReadOnlyList<HeldResult> held, long excess, DateTimeOffset now)
    {
        var freed = 0L;
        foreach (var result in held.OrderBy(h => h.ExpiresAt))
        {
            freed += result.Bytes;
            if (freed >= excess) return Clamp(result.ExpiresAt - now + SweepDelay);
        }
        return Clamp(options.Ttl + SweepDelay);
    }

    private static TimeSpan Clamp(TimeSpan wait) => wait < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : wait;

    private static string Rate(JobSpec spec) => (spec.SampleRate > 0 ? spec.SampleRate : UnknownRate).ToString(CultureInfo.InvariantCulture);

    private static string Format(long bytes) => ByteSize.Format(bytes);

    private string Share => ByteSize.Percent(options.StorageClientShare);
}

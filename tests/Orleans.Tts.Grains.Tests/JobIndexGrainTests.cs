using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;
using Orleans.Tts.Grains.Jobs;
using Orleans.Tts.Jobs;

namespace Orleans.Tts.Grains.Tests;

/// <summary>The job index grain on a 2-silo test cluster (memory storage <c>tts</c>), and the job domain classes it relies on.</summary>
public sealed class JobIndexGrainTests : IAsyncLifetime
{
    private const long Budget = 1_000_000;
    private InProcessTestCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSilo((_, silo) =>
        {
            silo.AddMemoryGrainStorage(Orleans.Tts.Grains.GrainStorage.Name);
            silo.UseInMemoryReminderService();
            silo.Configure<ClusterMembershipOptions>(o => (o.ProbeTimeout, o.NumMissedProbesLimit, o.TableRefreshTimeout) =
                (TimeSpan.FromSeconds(1), 1, TimeSpan.FromSeconds(2)));
            silo.Services.AddSingleton(TimeProvider.System);
            silo.Services.AddSingleton(new JobOptions { StorageMaxBytes = Budget, MaxQueuedJobs = 3, Ttl = TimeSpan.FromMinutes(10) });
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();
    }

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    private static JobReservation Reservation(string id, long estimate, string? owner = null) =>
        new(id, new JobSpec("text", "alloy", "en-us", null, "wav", Owner: owner, SampleRate: 22050), estimate, Units: 4, Sentences: 8, DateTimeOffset.UtcNow);

    [Fact]
    public async Task Of_six_concurrent_reservations_of_which_one_fits_exactly_one_is_accepted_and_the_rest_refused_with_retry_after()
    {
        var index = _cluster.Client.GetGrain<IJobIndexGrain>(0);
        var answers = await Task.WhenAll(Enumerable.Range(0, 6).Select(i => index.ReserveAsync(Reservation($"job_{i}", Budget * 3 / 4))));
        Assert.Single(answers, a => a.Outcome == JobAdmissionOutcome.Accepted);
        Assert.All(answers.Where(a => a.Outcome != JobAdmissionOutcome.Accepted), a =>
        {
            Assert.Equal(JobAdmissionOutcome.StorageFull, a.Outcome);
            Assert.Equal(Budget, a.LimitBytes);
            Assert.True(a.RetryAfter >= TimeSpan.FromMinutes(10));
        });
        var backlog = await index.GetBacklogAsync();
        Assert.Equal((1, Budget * 3 / 4), (backlog.QueuedJobs, backlog.ReservedBytes));
        Assert.Throws<JobStorageFullException>(() => answers.First(a => a.Outcome != JobAdmissionOutcome.Accepted).Accepted());
    }

    [Fact]
    public async Task A_job_larger_than_the_budget_is_too_large_and_queued_jobs_beyond_the_limit_are_refused()
    {
        var index = _cluster.Client.GetGrain<IJobIndexGrain>(0);
        var huge = await index.ReserveAsync(Reservation("job_huge", Budget * 2));
        Assert.Equal(JobAdmissionOutcome.TooLarge, huge.Outcome);
        Assert.Throws<JobTooLargeException>(() => huge.Accepted());
        for (var i = 0; i < 3; i++) Assert.Equal(JobAdmissionOutcome.Accepted, (await index.ReserveAsync(Reservation($"job_small{i}", 10))).Outcome);
        var full = await index.ReserveAsync(Reservation("job_small3", 10));
        Assert.Equal(JobAdmissionOutcome.BacklogFull, full.Outcome);
        Assert.Equal(3, full.Queued);
    }

    [Fact]
    public void Job_audio_round_trips_losslessly_in_every_format_including_full_scale_jumps()
    {
        var random = new Random(7);
        var samples = Enumerable.Range(0, 50_000).Select(i => (short)(i % 1000 == 0 ? (i % 2000 == 0 ? short.MaxValue : short.MinValue) : random.Next(-3000, 3000))).ToArray();
        foreach (var format in Enum.GetValues<JobAudioFormat>())
            Assert.Equal(samples, JobAudioCodec.Decode(JobAudioCodec.Encode(samples, format)));
        Assert.Empty(JobAudioCodec.Decode(JobAudioCodec.Encode([])));
    }

    [Fact]
    public void A_unit_encoded_from_its_sentences_decodes_to_their_concatenation()
    {
        // Parts longer and shorter than the encoder's chunk, so the differences carry over both part and chunk boundaries.
        var random = new Random(11);
        var parts = new[] { 40_000, 1, 0, 16_384, 70_001 }.Select(n => Enumerable.Range(0, n).Select(_ => (short)random.Next(short.MinValue, short.MaxValue)).ToArray()).ToList();
        var whole = parts.SelectMany(p => p).ToArray();
        foreach (var format in Enum.GetValues<JobAudioFormat>())
        {
            Assert.Equal(whole, JobAudioCodec.Decode(JobAudioCodec.EncodeParts(parts, format)));
            // The single-stream formats do not depend on where the parts end.
            if (format != JobAudioFormat.DeltaBrotliParts) Assert.Equal(JobAudioCodec.Encode(whole, format), JobAudioCodec.EncodeParts(parts, format));
        }
    }

    [Fact]
    public void A_unit_of_sentences_packed_by_engine_hosts_and_sentences_encoded_in_the_silo_decodes_to_their_concatenation()
    {
        var random = new Random(13);
        var parts = new[] { 30_000, 0, 5, 22_050 }.Select(n => Enumerable.Range(0, n).Select(i => (short)(6000 * Math.Sin(i / 11.0) + random.Next(-50, 50))).ToArray()).ToList();
        using var writer = new JobAudioCodec.Writer();
        for (var i = 0; i < parts.Count; i++)
        {
            if (i % 2 == 1) { writer.Append(parts[i]); continue; }
            var packed = new System.Buffers.ArrayBufferWriter<byte>();
            Orleans.Tts.Audio.Codecs.PackedPcm.Pack(parts[i], packed);
            writer.AppendPacked(parts[i].Length, packed.WrittenSpan);
        }
        var stored = writer.Finish();
        Assert.Equal((byte)JobAudioFormat.DeltaBrotliParts, stored[0]);
        Assert.Equal(parts.SelectMany(p => p).ToArray(), JobAudioCodec.Decode(stored));
        // A stored unit smaller than its PCM: speech-like samples pack.
        Assert.True(stored.Length < parts.Sum(p => p.Length) * 2, $"{stored.Length} bytes stored");

        using var single = new JobAudioCodec.Writer(JobAudioFormat.DeltaBrotli);
        Assert.Throws<InvalidOperationException>(() => single.AppendPacked(1, [0]));
    }

    [Fact]
    public void Stored_parts_whose_lengths_do_not_fit_are_invalid_data()
    {
        var stored = JobAudioCodec.EncodeParts([Enumerable.Range(0, 1000).Select(i => (short)i).ToArray(), [1, 2, 3]]);
        Assert.Throws<InvalidDataException>(() => JobAudioCodec.Decode(stored[..^1]));   // the last part cut short
        Assert.Throws<InvalidDataException>(() => JobAudioCodec.Decode(stored[..5]));    // inside the first header
        var lying = stored.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(lying.AsSpan(1), 1001); // one sample more than packed
        Assert.Throws<InvalidDataException>(() => JobAudioCodec.Decode(lying));
        var huge = stored.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(huge.AsSpan(5), int.MaxValue); // packed length beyond the data
        Assert.Throws<InvalidDataException>(() => JobAudioCodec.Decode(huge));

        // Against the count the job recorded: another count is refused, and a header claiming fifty million samples (within any unit's bound) is refused
        // before anything of that size is allocated.
        Assert.Equal(1003, JobAudioCodec.Decode(stored, expectedSamples: 1003).Length);
        Assert.Throws<InvalidDataException>(() => JobAudioCodec.Decode(stored, expectedSamples: 1004));
        Assert.Throws<InvalidDataException>(() => JobAudioCodec.Decode(JobAudioCodec.Encode(new short[5], JobAudioFormat.DeltaBrotli), expectedSamples: 4));
        var inflated = stored.ToArray();
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(inflated.AsSpan(1), 50_000_000);
        var before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Throws<InvalidDataException>(() => JobAudioCodec.Decode(inflated, expectedSamples: 1003));
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20, "a lying header made the decoder allocate for it");
    }

    [Fact]
    public async Task Job_audio_is_encoded_at_below_normal_priority_off_the_thread_pool()
    {
        using var cpu = new BackgroundCpu(2, Microsoft.Extensions.Logging.Abstractions.NullLogger<BackgroundCpu>.Instance);
        // Two units at once: each waits for the other to have started, which only two threads can do.
        using var both = new Barrier(2);
        (bool Together, string Stat, bool Pooled) Unit() =>
            (both.SignalAndWait(TimeSpan.FromSeconds(30)), File.ReadAllText("/proc/thread-self/stat"), Thread.CurrentThread.IsThreadPoolThread);
        foreach (var (together, stat, pooled) in await Task.WhenAll(cpu.RunAsync(Unit), cpu.RunAsync(Unit)))
        {
            Assert.True(together);
            // /proc/thread-self/stat: field 19 is the nice value (fields counted after the command's closing parenthesis).
            Assert.Equal(BackgroundCpu.NiceValue, int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[16], System.Globalization.CultureInfo.InvariantCulture));
            Assert.False(pooled);
        }
        await Assert.ThrowsAsync<InvalidOperationException>(() => cpu.RunAsync<int>(() => throw new InvalidOperationException("fails")));
    }

    [Fact]
    public void A_unit_is_recorded_once_and_the_scheduler_spreads_units_over_silos_up_to_the_limit_each()
    {
        var progress = JobProgressState.Start(3, DateTimeOffset.UtcNow);
        Assert.True(progress.CompleteUnit(1, 100, 22050, 2, DateTimeOffset.UtcNow));
        Assert.False(progress.CompleteUnit(1, 100, 22050, 2, DateTimeOffset.UtcNow)); // the same unit again (re-run after a fault)
        Assert.Equal((1, 2, 200L), (progress.DoneUnits, progress.DoneSentences, progress.StoredBytes));
        Assert.Equal(new[] { 0, 2 }, progress.Pending());

        var silos = new[] { Silo("a"), Silo("b") };
        var scheduler = new JobUnitScheduler(maxPerSilo: 2);
        var now = DateTimeOffset.UtcNow;
        var picks = Enumerable.Range(0, 5).Select(_ => scheduler.Pick(silos, now)?.Id).ToList();
        Assert.Equal(new[] { "a", "b", "a", "b", null }, picks);
        scheduler.Finished("b");
        scheduler.Avoid("b", now + TimeSpan.FromSeconds(1));
        Assert.Null(scheduler.Pick(silos, now));
        Assert.Equal("b", scheduler.Pick(silos, now + TimeSpan.FromSeconds(2))?.Id);
    }

    private static Orleans.Tts.Cluster.SiloGateway Silo(string id) =>
        new(id, Orleans.Runtime.SiloAddress.New(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 1000 + id[0]), 1), 1, 0, 0, id);
}

using Xunit.Abstractions;
using Orleans.Tts.Synthesis.Engines.Models;

namespace Orleans.Tts.Onnx.Tests;

[Collection(OnnxCollection.Name)]
public sealed class SharedSessionTests(ModelFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public void Thirty_two_threads_running_one_shared_session_each_get_their_own_output()
    {
        using var model = OnnxModel.Open(fixture.PiperMulti);
        const int threads = 32;
        const int runsPerThread = 25;
        // Different lengths, ids and speakers per thread, so any mixed-up buffer shows.
        var requests = Enumerable.Range(0, threads)
            .Select(t => (Ids: Enumerable.Range(0, 1 + t % 7).Select(i => (long)((t * 5 + i * 3) % 60)).ToArray(), Sid: (long)(t % 2)))
            .ToArray();
        var expected = requests.Select(r => model.RunPiper(Inputs.Piper(r.Ids, sid: r.Sid))).ToArray();
        var mismatches = new int[threads];
        var failures = new Exception?[threads];
        using var start = new Barrier(threads);

        var workers = Enumerable.Range(0, threads).Select(t => new Thread(() =>
        {
            try
            {
                start.SignalAndWait();
                for (var run = 0; run < runsPerThread; run++)
                {
                    var audio = model.RunPiper(Inputs.Piper(requests[t].Ids, sid: requests[t].Sid));
                    if (!audio.AsSpan().SequenceEqual(expected[t]))
                        mismatches[t]++;
                }
            }
            catch (Exception e)
            {
                failures[t] = e;
            }
        })).ToArray();
        foreach (var worker in workers)
            worker.Start();
        foreach (var worker in workers)
            worker.Join();

        Assert.All(failures, f => Assert.Null(f));
        Assert.All(mismatches, m => Assert.Equal(0, m));
        for (var t = 0; t < threads; t++)
        {
            var tones = Audio.SegmentTones(expected[t], fixture.Piper.Segment, fixture.Piper.Segment);
            Assert.Equal(requests[t].Ids, tones.Select(c => c - fixture.Piper.BaseCycles - requests[t].Sid * fixture.Piper.SidCycles));
        }
    }

    [Fact]
    public void Ten_thousand_runs_do_not_grow_native_memory()
    {
        using var model = OnnxModel.Open(fixture.PiperSingle);
        long[] ids = [5, 17, 2, 33, 8, 1, 60, 12, 3, 44, 9, 21, 30, 6, 15, 4];
        void RunMany(int count)
        {
            // New input OrtValues every run, as the engines make them.
            for (var i = 0; i < count; i++)
                Assert.Equal(16 * fixture.Piper.Segment, model.RunPiper(Inputs.Piper(ids)).Length);
        }

        RunMany(1_000);
        var before = ResidentBytes();
        RunMany(10_000);
        var after = ResidentBytes();

        // Leaking the output OrtValues would add about 160 MiB (10,000 × 4,096 floats); leaking the input OrtValues or
        // RunOptions some MiB more; allocator and GC noise stay well under the bound.
        const long bound = 20L * 1024 * 1024;
        output.WriteLine($"RSS {before / 1024} KiB -> {after / 1024} KiB over 10,000 runs");
        Assert.True(after - before < bound, $"RSS grew by {(after - before) / 1024} KiB over 10,000 runs ({before / 1024} KiB -> {after / 1024} KiB).");
    }

    private static long ResidentBytes()
    {
        // Managed garbage is not a native leak: collect it and give its memory back before reading RSS.
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        var fields = File.ReadAllText("/proc/self/statm").Split(' ');
        return long.Parse(fields[1]) * Environment.SystemPageSize;
    }
}

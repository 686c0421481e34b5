using System.Diagnostics;

namespace Orleans.Tts.Bench;

/// <summary>CPU time of three process groups — engine hosts, the silo (if any) and this process — over a measured run.</summary>
public sealed class CpuMeter(Func<IEnumerable<int>> engineHosts, int? siloPid)
{
    private readonly record struct Reading(TimeSpan Hosts, TimeSpan Silo, TimeSpan Self);

    public async Task<(T Result, CpuPerSentence Cpu)> MeasureAsync<T>(Func<Task<T>> run, int sentences)
    {
        var before = Read();
        var result = await run();
        var after = Read();
        double PerSentence(TimeSpan a, TimeSpan b) => (a - b).TotalMilliseconds / sentences;
        return (result, new CpuPerSentence(PerSentence(after.Hosts, before.Hosts), PerSentence(after.Silo, before.Silo), PerSentence(after.Self, before.Self)));
    }

    private Reading Read()
    {
        using var self = Process.GetCurrentProcess();
        return new Reading(
            ProcFs.CpuTime(engineHosts()),
            siloPid is { } pid ? ProcFs.CpuTime([pid]) : TimeSpan.Zero,
            self.TotalProcessorTime);
    }
}

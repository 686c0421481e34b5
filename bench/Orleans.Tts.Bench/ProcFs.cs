using System.Diagnostics;
using System.Globalization;

namespace Orleans.Tts.Bench;

/// <summary>What Linux's /proc says about processes and the machine.</summary>
public static class ProcFs
{
    /// <summary>Resident set size in KiB from /proc/&lt;pid&gt;/status (VmRSS), or 0 if the process is gone.</summary>
    public static long RssKiB(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : KiB(line);
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Every process below <paramref name="pid"/> (children, grandchildren, …), from the parent ids in /proc/*/stat.</summary>
    public static IReadOnlyList<int> Descendants(int pid)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var child)) continue;
            if (ParentOf(child) is { } parent) parents[child] = parent;
        }
        var result = new List<int>();
        var frontier = new Queue<int>([pid]);
        while (frontier.TryDequeue(out var p))
        {
            foreach (var (child, parent) in parents)
            {
                if (parent != p) continue;
                result.Add(child);
                frontier.Enqueue(child);
            }
        }
        return result;
    }

    private static int? ParentOf(int pid)
    {
        try
        {
            // "pid (comm) state ppid …": comm may hold spaces and parentheses, so read after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return null;
        }
    }

    /// <summary>User + system CPU time of the processes that still exist.</summary>
    public static TimeSpan CpuTime(IEnumerable<int> pids)
    {
        var total = TimeSpan.Zero;
        foreach (var pid in pids)
        {
            try
            {
                using var p = Process.GetProcessById(pid);
                total += p.TotalProcessorTime;
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                // exited
            }
        }
        return total;
    }

    /// <summary>The 1-minute load average.</summary>
    public static double LoadAverage1() =>
        double.Parse(File.ReadAllText("/proc/loadavg").Split(' ')[0], CultureInfo.InvariantCulture);

    public static string LoadAverages() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    public static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) is { } line
            ? line[(line.IndexOf(':') + 1)..].Trim()
            : "unknown";

    public static long MemTotalKiB() =>
        File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal)) is { } line ? KiB(line) : 0;

    private static long KiB(string line) =>
        long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
}

using System.Diagnostics;

namespace Orleans.Tts.Testing;

/// <summary>Runs <c>scripts/postgres.sh</c> (start, stop, status) for a throwaway PostgreSQL in <c>--dir</c>.</summary>
public static class PostgresScript
{
    /// <summary>Runs <c>scripts/postgres.sh ARGS --dir DIR</c> below <paramref name="repoRoot"/>; returns its stdout.</summary>
    /// <exception cref="InvalidOperationException">The script failed; the message has its stderr.</exception>
    public static async Task<string> RunAsync(string repoRoot, string dir, params string[] args)
    {
        var psi = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(Path.Combine(repoRoot, "scripts", "postgres.sh"));
        foreach (var a in args) psi.ArgumentList.Add(a);
        psi.ArgumentList.Add("--dir");
        psi.ArgumentList.Add(dir);
        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"postgres.sh {string.Join(' ', args)} failed ({process.ExitCode}): {await stderr}");
        return await stdout;
    }
}

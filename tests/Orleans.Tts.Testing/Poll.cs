using System.Diagnostics;

namespace Orleans.Tts.Testing;

/// <summary>Waiting for a condition with a deadline instead of sleeping.</summary>
public static class Poll
{
    /// <summary>Re-evaluates <paramref name="condition"/> until it is true; throws a <see cref="TimeoutException"/> naming <paramref name="what"/> after the deadline.</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, TimeSpan deadline, string what, TimeSpan? interval = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > deadline) throw new TimeoutException($"Timed out after {deadline.TotalSeconds:0.#} s waiting for: {what}");
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(25));
        }
    }

    /// <summary>Re-evaluates <paramref name="probe"/> until it returns a value; returns it.</summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T?>> probe, TimeSpan deadline, string what, TimeSpan? interval = null) where T : class
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value) return value;
            if (clock.Elapsed > deadline) throw new TimeoutException($"Timed out after {deadline.TotalSeconds:0.#} s waiting for: {what}");
            await Task.Delay(interval ?? TimeSpan.FromMilliseconds(25));
        }
    }
}

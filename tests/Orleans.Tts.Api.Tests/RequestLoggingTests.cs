using System.Collections.Concurrent;
using System.Net;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Orleans.Tts.Api.Tests;

/// <summary>What a silo logs per request: by default nothing from ASP.NET Core below Warning; configuration can ask for more.</summary>
public sealed class RequestLoggingTests
{
    [Fact]
    public async Task A_synthesis_writes_no_per_request_information_entries_by_default()
    {
        var entries = new ConcurrentQueue<(string Category, LogLevel Level, string Message)>();
        await using var factory = new SiloFactory(SiloFactory.Embedded).WithWebHostBuilder(b =>
            b.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(new Capture(entries))));
        using var client = factory.CreateClient();

        var response = await client.SpeakAsync(new { input = "One request, no log lines.", voice = "espeak:en-us", response_format = "wav" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.True(Wav.Parse(await response.Content.ReadAsByteArrayAsync()).Seconds > 0.5);
        var perRequest = entries.Where(e => e.Category.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal) && e.Level < LogLevel.Warning).ToList();
        Assert.True(perRequest.Count == 0, "Logged per request: " + string.Join(" | ", perRequest.Select(e => $"{e.Category}: {e.Message}")));
    }

    [Fact]
    public async Task Request_logs_come_back_when_the_configuration_asks_for_them()
    {
        var entries = new ConcurrentQueue<(string Category, LogLevel Level, string Message)>();
        await using var factory = new SiloFactory(new Dictionary<string, string>(SiloFactory.Embedded)
        {
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Information",
        }).WithWebHostBuilder(b => b.ConfigureServices(s => s.AddSingleton<ILoggerProvider>(new Capture(entries))));
        using var client = factory.CreateClient();

        var response = await client.GetAsync("/v1/voices");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains(entries, e => e.Category == "Microsoft.AspNetCore.Hosting.Diagnostics" && e.Level == LogLevel.Information
            && e.Message.Contains("/v1/voices", StringComparison.Ordinal));
    }

    private sealed class Capture(ConcurrentQueue<(string Category, LogLevel Level, string Message)> entries) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new Logger(categoryName, entries);

        public void Dispose() { }

        private sealed class Logger(string category, ConcurrentQueue<(string, LogLevel, string)> entries) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
                entries.Enqueue((category, logLevel, formatter(state, exception)));
        }
    }
}

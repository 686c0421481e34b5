using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using Orleans.Tts.Jobs;

namespace Orleans.Tts.Client;

/// <summary>A long text to synthesise as an asynchronous job (<c>POST /v1/jobs</c>).</summary>
public sealed record JobRequest(
    [property: JsonPropertyName("input")] string Input,
    [property: JsonPropertyName("voice")] string Voice = "alloy",
    [property: JsonPropertyName("response_format")] string ResponseFormat = "mp3",
    [property: JsonPropertyName("speed")] double Speed = 1.0,
    [property: JsonPropertyName("pitch")] double Pitch = 0.0);

public partial interface ITtsClient
{
    /// <summary>Queues the text; returns the job's first status (its <see cref="JobStatus.Id"/> names it from then on).</summary>
    Task<JobStatus> SubmitJobAsync(JobRequest job, CancellationToken cancellationToken = default);

    Task<JobStatus> GetJobAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Follows the job's progress events until it is succeeded, failed or cancelled and returns that final status; every
    /// status seen (the final one too) goes to <paramref name="progress"/>. A dropped connection is resumed.
    /// </summary>
    Task<JobStatus> WaitForJobAsync(string jobId, IProgress<JobStatus>? progress = null, CancellationToken cancellationToken = default);

    /// <summary>Cancels the job (nothing happens to a finished one); returns its status.</summary>
    Task<JobStatus> CancelJobAsync(string jobId, CancellationToken cancellationToken = default);

    /// <summary>The finished job's audio as a stream read from the network as it is consumed (dispose it when done).</summary>
    Task<Stream> OpenJobAudioAsync(string jobId, CancellationToken cancellationToken = default);
}

public sealed partial class TtsClient
{
    private static readonly TimeSpan EventsReconnectDelay = TimeSpan.FromSeconds(1);

    public async Task<JobStatus> SubmitJobAsync(JobRequest job, CancellationToken cancellationToken = default)
    {
        using var response = await WithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Post, "v1/jobs") { Content = JsonContent.Create(job, options: Json) },
            HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadStatusAsync(response, cancellationToken);
    }

    public async Task<JobStatus> GetJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        using var response = await WithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, JobPath(jobId)), HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadStatusAsync(response, cancellationToken);
    }

    public async Task<JobStatus> CancelJobAsync(string jobId, CancellationToken cancellationToken = default)
    {
        using var response = await WithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Delete, JobPath(jobId)), HttpCompletionOption.ResponseContentRead, cancellationToken);
        return await ReadStatusAsync(response, cancellationToken);
    }

    public async Task<Stream> OpenJobAudioAsync(string jobId, CancellationToken cancellationToken = default)
    {
        var response = await WithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, JobPath(jobId) + "/audio"), HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return await response.Content.ReadAsStreamAsync(cancellationToken);
    }

    public async Task<JobStatus> WaitForJobAsync(string jobId, IProgress<JobStatus>? progress = null, CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                using var response = await WithRetriesAsync(() => new HttpRequestMessage(HttpMethod.Get, JobPath(jobId) + "/events"),
                    HttpCompletionOption.ResponseHeadersRead, cancellationToken);
                using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken));
                string? name = null;
                while (await reader.ReadLineAsync(cancellationToken) is { } line)
                {
                    if (line.StartsWith("event:", StringComparison.Ordinal)) name = line["event:".Length..].Trim();
                    else if (line.StartsWith("data:", StringComparison.Ordinal))
                    {
                        var status = JsonSerializer.Deserialize<JobStatus>(line["data:".Length..], Json)
                            ?? throw new InvalidDataException($"Job {jobId} sent an empty status event.");
                        progress?.Report(status);
                        if (name != "progress" || status.IsFinal) return status;
                    }
                }
            }
            catch (Exception e) when (e is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
            {
                // The frontend went away mid-stream (a restart, a lost connection): the job lives on; follow it again.
            }
            await Task.Delay(EventsReconnectDelay, cancellationToken);
        }
    }

    private static string JobPath(string jobId) => "v1/jobs/" + Uri.EscapeDataString(jobId);

    private static async Task<JobStatus> ReadStatusAsync(HttpResponseMessage response, CancellationToken ct) =>
        await response.Content.ReadFromJsonAsync<JobStatus>(Json, ct) ?? throw new InvalidDataException("The TTS cluster answered with an empty job status.");
}

namespace Orleans.Tts.Synthesis.Engines.Espeak;

/// <summary>
/// The loop of an engine-host process: one eSpeak instance, requests one at a time from stdin,
/// answers on stdout. A fault inside eSpeak ends only this process; the silo starts another.
/// </summary>
public static class EngineHostServer
{
    public static async Task<int> RunAsync(Stream input, Stream output, TextWriter log, CancellationToken ct = default)
    {
        EspeakInstance espeak;
        try
        {
            espeak = new EspeakInstance();
        }
        catch (Exception e) when (e is DllNotFoundException or InvalidOperationException)
        {
            await log.WriteLineAsync($"engine-host: {e.Message}");
            await HostFraming.WriteJsonAsync(output, new HostResponse(false, e.Message), ct);
            await output.FlushAsync(ct);
            return 2;
        }

        while (await HostFraming.ReadFrameAsync(input, ct) is { } frame)
        {
            HostResponse response;
            short[]? pcm = null;
            try
            {
                var request = HostFraming.ReadJson<HostRequest>(frame);
                switch (request.Op)
                {
                    case "hello":
                        response = new HostResponse(true, SampleRate: espeak.SampleRate, Version: espeak.Version, ProcessId: Environment.ProcessId);
                        break;
                    case "voices":
                        response = new HostResponse(true, SampleRate: espeak.SampleRate, Voices: espeak.ListVoices());
                        break;
                    case "synth":
                        pcm = espeak.Synthesize(request.Segments ?? [], request.Prosody ?? EspeakProsody.Default);
                        response = new HostResponse(true, SampleRate: espeak.SampleRate, SampleCount: pcm.Length);
                        break;
                    case "phonemes":
                        response = new HostResponse(true, Phonemes: espeak.Phonemize(request.Voice ?? "en-us", request.Text ?? ""));
                        break;
                    case "clauses":
                        var tie = request.Tie is { Length: 1 } t ? t[0] : (char?)null;
                        response = new HostResponse(true, Clauses: espeak.PhonemizeClauses(request.Voice ?? "en-us", request.Text ?? "", tie));
                        break;
                    default:
                        response = new HostResponse(false, $"Unknown operation '{request.Op}'.");
                        break;
                }
            }
            catch (Exception e) when (e is EspeakException or InvalidDataException or System.Text.Json.JsonException)
            {
                response = new HostResponse(false, e.Message);
                pcm = null;
            }

            await HostFraming.WriteJsonAsync(output, response, ct);
            if (pcm is { Length: > 0 })
                await HostFraming.WritePcmFrameAsync(output, pcm, ct);
            await output.FlushAsync(ct);
        }
        return 0;
    }
}

using System.Buffers;
using System.Runtime.InteropServices;
using Orleans.Tts.Audio.Codecs;

namespace Orleans.Tts.Synthesis.Engines.Espeak;

/// <summary>
/// The loop of an engine-host process: one eSpeak instance, requests one at a time from stdin,
/// answers on stdout. A fault inside eSpeak ends only this process; the silo starts another.
/// The loop runs on the main thread with blocking reads and writes: the host does one thing at a time, and async I/O
/// cost it thread-pool hand-offs and spinning workers on every request (bench/RESULTS.md, issue 18).
/// </summary>
public static class EngineHostServer
{
    /// <summary>
    /// The output pipe's capacity asked for: a sentence's audio (about 0.5 MB for 11 s) then crosses it in one write
    /// instead of 16 rounds of a 64 KiB pipe, each waking the silo. 1 MiB is Linux's default limit for unprivileged
    /// processes (/proc/sys/fs/pipe-max-size); where it is refused the pipe keeps its size and works as before.
    /// </summary>
    private const int OutputPipeBytes = 1 << 20;

    public static int Run(Stream input, Stream output, TextWriter log, SafeHandle? outputPipe = null)
    {
        EspeakInstance espeak;
        try
        {
            espeak = new EspeakInstance();
        }
        catch (Exception e) when (e is DllNotFoundException or InvalidOperationException)
        {
            log.WriteLine($"engine-host: {e.Message}");
            HostFraming.WriteJson(output, new HostResponse(false, e.Message));
            output.Flush();
            return 2;
        }
        if (outputPipe is not null) PipeCapacity.TryGrow(outputPipe, OutputPipeBytes);

        var buffer = new ArrayBufferWriter<byte>(1 << 16);
        // Packed sentences (job work) are laid out and packed here, so the silo neither holds nor compresses their samples.
        var samples = Array.Empty<short>();
        var packed = new ArrayBufferWriter<byte>(1 << 16);
        var words = new List<int>();
        while (HostFraming.ReadFrame(input) is { } frame)
        {
            HostResponse response;
            var pcm = default(TrimmedPcm);
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
                    case "synth" when request.Packed == true:
                        var timed = request.Words == true;
                        var audio = espeak.Synthesize(request.Segments ?? [], request.Prosody ?? EspeakProsody.Default, timed ? words : null);
                        if (samples.Length < audio.Length) samples = new short[audio.Length];
                        var laid = samples.AsSpan(0, audio.Length);
                        audio.CopyTo(laid);
                        packed.ResetWrittenCount();
                        PackedPcm.Pack(laid, packed);
                        // Where each word's sound ends needs the samples, so it is worked out here (EspeakWords).
                        var speechEnd = audio.Lead + audio.Speech.Length;
                        HostFraming.WritePackedResponse(output, buffer, new HostResponse(true, SampleRate: espeak.SampleRate, SampleCount: audio.Length,
                            Words: timed ? words : null, SpeechEnd: timed ? speechEnd : null, PackedBytes: packed.WrittenCount,
                            SoundEnds: timed ? EspeakWords.SoundEnds(words, speechEnd, laid, espeak.SampleRate) : null), packed.WrittenSpan);
                        continue;
                    case "synth":
                        pcm = espeak.Synthesize(request.Segments ?? [], request.Prosody ?? EspeakProsody.Default, request.Words == true ? words : null);
                        response = request.Words == true
                            ? new HostResponse(true, SampleRate: espeak.SampleRate, SampleCount: pcm.Length, Words: words, SpeechEnd: pcm.Lead + pcm.Speech.Length)
                            : new HostResponse(true, SampleRate: espeak.SampleRate, SampleCount: pcm.Length);
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
                pcm = default;
            }

            HostFraming.WriteResponse(output, buffer, response, pcm);
        }
        return 0;
    }
}

/// <summary>Linux's F_SETPIPE_SZ on a pipe's descriptor.</summary>
internal static partial class PipeCapacity
{
    private const int SetPipeSize = 1031; // F_SETPIPE_SZ = F_LINUX_SPECIFIC_BASE (1024) + 7

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(SafeHandle fd, int command, int argument);

    /// <summary>Asks for <paramref name="bytes"/> of capacity; false (the pipe unchanged) where the system refuses.</summary>
    public static bool TryGrow(SafeHandle pipe, int bytes)
    {
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            return Fcntl(pipe, SetPipeSize, bytes) >= bytes;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }
}

using System.Buffers;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Audio.Codecs;

/// <summary>The <c>response_format</c> values OpenAI defines, and the encoder for each.</summary>
public static class AudioEncoders
{
    /// <summary>OpenAI's <c>pcm</c>: raw 16-bit little-endian mono at 24 kHz.</summary>
    public const int PcmSampleRate = 24000;

    public static readonly IReadOnlyList<string> Formats = ["mp3", "opus", "aac", "flac", "wav", "pcm"];

    /// <summary>The media type OpenAI answers each format with.</summary>
    public static string ContentType(string format) => format switch
    {
        "wav" => "audio/wav",
        "pcm" => "audio/pcm",
        "mp3" => "audio/mpeg",
        "opus" => "audio/opus",
        "flac" => "audio/flac",
        "aac" => "audio/aac",
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, $"Supported formats: {string.Join(", ", Formats)}."),
    };

    public static IAudioEncoder Create(string format, int inputSampleRate) => format switch
    {
        "wav" => new WavEncoder(inputSampleRate),
        "pcm" => new PcmEncoder(inputSampleRate, PcmSampleRate),
        "mp3" => new Mp3Encoder(inputSampleRate),
        "opus" => new OpusEncoder(inputSampleRate),
        "flac" => new FlacEncoder(inputSampleRate),
        "aac" => new AacEncoder(inputSampleRate),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, $"Supported formats: {string.Join(", ", Formats)}."),
    };

    /// <summary>
    /// The bytes a stream of the same audio sent: <paramref name="file"/> (a whole file, header patches applied) with its
    /// end-of-file header fields put back as the encoder first wrote them (WAV sizes 0xFFFFFFFF, MP3's Info tag back to LAME's
    /// silent placeholder frame, FLAC's STREAMINFO sizes, sample count and MD5 back to 0 = unknown). Opus, AAC and PCM have no patches.
    /// </summary>
    public static byte[] Streamed(string format, ReadOnlySpan<byte> file) => format switch
    {
        "wav" => WavEncoder.Unpatched(file),
        "mp3" => Mp3Encoder.Unpatched(file),
        "flac" => FlacEncoder.Unpatched(file),
        "opus" or "pcm" or "aac" => file.ToArray(),
        _ => throw new ArgumentOutOfRangeException(nameof(format), format, $"Supported formats: {string.Join(", ", Formats)}."),
    };

    /// <summary>Encodes a whole clip, with the encoder's header patches applied.</summary>
    public static byte[] Encode(AudioClip clip, string format)
    {
        // WAV is a header and the samples as they are: written straight into an array of the exact size (the same bytes
        // WavEncoder gives once its header patch is applied), not grown and then copied.
        if (format == "wav") return WavWriter.Encode(clip);
        using var file = new WholeFileEncoder(format, Math.Max(256, clip.Samples.Length));
        file.Add(clip);
        return file.Finish(clip.SampleRate);
    }
}

/// <summary>
/// A file built clip by clip (a request's sentences as they are synthesised, so encoding overlaps synthesis): the
/// same bytes as <see cref="AudioEncoders.Encode"/> of the clips joined, header patches included. The encoder is created at
/// the first clip's rate; a clip at another rate is resampled to it. The same encoder feeds a stream: <see cref="TakeNew"/>
/// hands out the bytes as a stream sends them (header placeholders unpatched), and with <c>keepWhole</c> the whole file is
/// still at hand at the end (<see cref="Finish"/>), so a completed stream can be cached as the file a whole request gets.
/// </summary>
/// <param name="keepWhole">False for a stream that only sends: taken bytes are dropped, so memory stays at one clip's output.</param>
public sealed class WholeFileEncoder(string format, int initialCapacity = 256, bool keepWhole = true) : IDisposable
{
    private readonly FileBuffer _output = new(initialCapacity);
    private IAudioEncoder? _encoder;
    private int _taken;
    private bool _completed;
    private bool _finished;

    private long _samples;

    public string ContentType => AudioEncoders.ContentType(format);

    /// <summary>The audio added so far (as one clip at the first clip's rate would give it).</summary>
    public double Seconds => _encoder is null ? 0 : (double)_samples / _encoder.InputSampleRate;

    public void Add(AudioClip clip)
    {
        _encoder ??= AudioEncoders.Create(format, clip.SampleRate);
        var samples = clip.SampleRate == _encoder.InputSampleRate ? clip.Samples : Resampler.Resample(clip.Samples, clip.SampleRate, _encoder.InputSampleRate);
        // Sized for the first clip at once (a one-sentence WAV exactly), instead of doubling up to it copy by copy.
        if (_output.WrittenCount == 0) _output.Reserve(ExpectedBytes(samples.Length));
        _encoder.Write(samples, _output);
        _samples += samples.Length;
    }

    /// <summary>Flushes the encoder; <paramref name="sampleRate"/> is used only when no clip was added.</summary>
    public void Complete(int sampleRate)
    {
        if (_completed) return;
        _completed = true;
        _encoder ??= AudioEncoders.Create(format, sampleRate);
        _encoder.Complete(_output);
    }

    /// <summary>The bytes produced since the last call, as a stream sends them (without the end-of-file header patches).</summary>
    public byte[] TakeNew()
    {
        var bytes = _output.WrittenSpan[_taken..].ToArray();
        if (keepWhole) _taken = _output.WrittenCount;
        else _output.ResetWrittenCount();
        return bytes;
    }

    /// <summary>
    /// The whole file with its header patches (completing it first), as the last call: the file may be this encoder's own
    /// buffer. <paramref name="sampleRate"/> is used only when no clip was added.
    /// </summary>
    public byte[] Finish(int sampleRate)
    {
        if (!keepWhole) throw new InvalidOperationException("This encoder streams without keeping the whole file.");
        if (_finished) throw new InvalidOperationException("The file was already finished.");
        _finished = true;
        Complete(sampleRate);
        var bytes = _output.Detach();
        foreach (var patch in _encoder!.Patches)
            if (patch.Offset + patch.Bytes.Length <= bytes.Length) patch.Bytes.CopyTo(bytes, patch.Offset);
        return bytes;
    }

    public void Dispose() => _encoder?.Dispose();

    /// <summary>The output's size for <paramref name="samples"/> more samples: exact for WAV, an estimate above the usual size for the rest.</summary>
    private long ExpectedBytes(int samples) => format switch
    {
        "wav" => WavWriter.HeaderBytes + 2L * samples,
        "pcm" => 2L * samples * AudioEncoders.PcmSampleRate / _encoder!.InputSampleRate + 64,
        "mp3" => samples / 2 + 8192,
        _ => samples,
    };

    /// <summary>
    /// A growable byte buffer whose array becomes the file when it is exactly full (so a one-sentence WAV is written once
    /// and never copied). New space is not zeroed: the encoders write every byte they advance over.
    /// </summary>
    private sealed class FileBuffer(int initialCapacity) : IBufferWriter<byte>
    {
        private byte[] _buffer = GC.AllocateUninitializedArray<byte>(Math.Max(initialCapacity, 1));
        private int _written;

        public int WrittenCount => _written;
        public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _written);

        public void Advance(int count)
        {
            if ((uint)count > (uint)(_buffer.Length - _written)) throw new ArgumentOutOfRangeException(nameof(count));
            _written += count;
        }

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            Reserve((long)_written + Math.Max(sizeHint, 1));
            return _buffer.AsMemory(_written);
        }

        public Span<byte> GetSpan(int sizeHint = 0)
        {
            Reserve((long)_written + Math.Max(sizeHint, 1));
            return _buffer.AsSpan(_written);
        }

        /// <summary>Room for <paramref name="total"/> bytes in all.</summary>
        public void Reserve(long total)
        {
            if (total <= _buffer.Length) return;
            if (total > Array.MaxLength) throw new OutOfMemoryException("An encoded file cannot exceed the largest array.");
            var grown = GC.AllocateUninitializedArray<byte>((int)Math.Clamp(Math.Max(total, 2L * _buffer.Length), total, Array.MaxLength));
            WrittenSpan.CopyTo(grown);
            _buffer = grown;
        }

        public void ResetWrittenCount() => _written = 0;

        /// <summary>The written bytes as an array of their own: the buffer itself when it is exactly full, else a copy.</summary>
        public byte[] Detach()
        {
            if (_written == _buffer.Length)
            {
                var whole = _buffer;
                _buffer = [];
                _written = 0;
                return whole;
            }
            return WrittenSpan.ToArray();
        }
    }
}

using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Orleans.Tts.Fuzz;

/// <summary>A response as read off the wire: status, headers (names lower-case, repeats joined with ", "), a body prefix.</summary>
public sealed record RawResponse(int Status, IReadOnlyDictionary<string, string> Headers, byte[] BodyPrefix, long BodyLength, bool Close)
{
    public string? Header(string name) => Headers.GetValueOrDefault(name);
}

/// <summary>What became of one request: a response, or how the connection ended without one.</summary>
public sealed record Outcome(RawResponse? Response, string? Error)
{
    public string Label => Response is { } r ? r.Status.ToString(System.Globalization.CultureInfo.InvariantCulture) : Error ?? "?";
}

/// <summary>One HTTP/1.1 connection over which raw request bytes are written and responses parsed (keep-alive aware).</summary>
public sealed class RawConnection : IDisposable
{
    public const int BodyPrefixBytes = 64 * 1024;
    private const int MaxHeaderBytes = 256 * 1024;

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private int _start, _end;

    private RawConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public bool Broken { get; private set; }

    public static async Task<RawConnection> OpenAsync(EndPoint server, CancellationToken ct)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(server, ct);
            return new RawConnection(socket);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Writes <paramref name="request"/> and reads one final response (skipping 1xx).</summary>
    public async Task<Outcome> SendAsync(byte[] request, bool halfClose, CancellationToken ct)
    {
        var headOnly = request.AsSpan().StartsWith("HEAD "u8);
        try
        {
            await _stream.WriteAsync(request, ct);
            if (halfClose) _socket.Shutdown(SocketShutdown.Send);
        }
        catch (IOException)
        {
            // Kestrel may answer and close before reading a body it refuses; the answer can still be read.
        }
        catch (SocketException)
        {
        }
        try
        {
            while (true)
            {
                var response = await ReadResponseAsync(headOnly, ct);
                if (response is null) { Broken = true; return new(null, "closed"); }
                if (response.Status is >= 100 and < 200 and not 101) continue;
                if (response.Close) Broken = true;
                return new(response, null);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            Broken = true;
            return new(null, "timeout");
        }
        catch (Exception e) when (e is IOException or SocketException or InvalidDataException)
        {
            Broken = true;
            return new(null, e is InvalidDataException ? "garbled: " + e.Message : "reset");
        }
    }

    private async Task<RawResponse?> ReadResponseAsync(bool headOnly, CancellationToken ct)
    {
        var statusLine = await ReadLineAsync(ct);
        if (statusLine is null) return null;
        var parts = statusLine.Split(' ', 3);
        if (parts.Length < 2 || !parts[0].StartsWith("HTTP/", StringComparison.Ordinal) || !int.TryParse(parts[1], out var status))
            throw new InvalidDataException($"bad status line '{statusLine}'");
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var headerBytes = 0;
        while (true)
        {
            var line = await ReadLineAsync(ct) ?? throw new InvalidDataException("connection closed inside the response headers");
            if (line.Length == 0) break;
            headerBytes += line.Length;
            if (headerBytes > MaxHeaderBytes) throw new InvalidDataException("response headers too large");
            var colon = line.IndexOf(':');
            if (colon <= 0) throw new InvalidDataException($"bad header line '{line}'");
            var name = line[..colon].Trim().ToLowerInvariant();
            var value = line[(colon + 1)..].Trim();
            headers[name] = headers.TryGetValue(name, out var old) ? old + ", " + value : value;
        }
        var close = headers.TryGetValue("connection", out var connection) && connection.Contains("close", StringComparison.OrdinalIgnoreCase);
        var body = new BodySink();
        if (headOnly || status is 204 or 304 || status is >= 100 and < 200) { }
        else if (headers.TryGetValue("transfer-encoding", out var te) && te.Contains("chunked", StringComparison.OrdinalIgnoreCase)) await ReadChunkedAsync(body, ct);
        else if (headers.TryGetValue("content-length", out var cl))
        {
            if (!long.TryParse(cl, out var length) || length < 0) throw new InvalidDataException($"bad Content-Length '{cl}'");
            await ReadExactlyAsync(body, length, ct);
        }
        else
        {
            close = true;
            await ReadToEndAsync(body, ct);
        }
        return new RawResponse(status, headers, body.Prefix(), body.Length, close);
    }

    private async Task ReadChunkedAsync(BodySink body, CancellationToken ct)
    {
        while (true)
        {
            var line = await ReadLineAsync(ct) ?? throw new InvalidDataException("connection closed inside a chunked body");
            var size = Convert.ToInt64(line.Split(';')[0].Trim(), 16);
            if (size == 0)
            {
                while (await ReadLineAsync(ct) is { Length: > 0 }) { }
                return;
            }
            await ReadExactlyAsync(body, size, ct);
            if (await ReadLineAsync(ct) is not "") throw new InvalidDataException("chunk not followed by CRLF");
        }
    }

    private async Task ReadExactlyAsync(BodySink body, long count, CancellationToken ct)
    {
        while (count > 0)
        {
            if (_start == _end && !await FillAsync(ct)) throw new IOException("connection closed inside the body");
            var n = (int)Math.Min(count, _end - _start);
            body.Add(_buffer.AsSpan(_start, n));
            _start += n;
            count -= n;
        }
    }

    private async Task ReadToEndAsync(BodySink body, CancellationToken ct)
    {
        while (true)
        {
            if (_start == _end && !await FillAsync(ct)) return;
            body.Add(_buffer.AsSpan(_start, _end - _start));
            _start = _end;
        }
    }

    private async Task<string?> ReadLineAsync(CancellationToken ct)
    {
        var line = new StringBuilder();
        while (true)
        {
            if (_start == _end && !await FillAsync(ct)) return line.Length == 0 ? null : throw new IOException("connection closed inside a line");
            var span = _buffer.AsSpan(_start, _end - _start);
            var lf = span.IndexOf((byte)'\n');
            if (lf < 0)
            {
                line.Append(Encoding.Latin1.GetString(span));
                _start = _end;
                if (line.Length > MaxHeaderBytes) throw new InvalidDataException("line too long");
                continue;
            }
            line.Append(Encoding.Latin1.GetString(span[..lf]));
            _start += lf + 1;
            if (line.Length > 0 && line[^1] == '\r') line.Length--;
            return line.ToString();
        }
    }

    private async Task<bool> FillAsync(CancellationToken ct)
    {
        _start = _end = 0;
        var n = await _stream.ReadAsync(_buffer, ct);
        _end = n;
        return n > 0;
    }

    /// <summary>More request bytes while <see cref="SendAsync"/> waits for the answer (slow clients).</summary>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken ct) => _stream.WriteAsync(bytes, ct);

    public void Dispose() => _stream.Dispose();

    /// <summary>Counts every body byte, keeps the first <see cref="BodyPrefixBytes"/>.</summary>
    private sealed class BodySink
    {
        private readonly MemoryStream _prefix = new();

        public long Length { get; private set; }

        public void Add(ReadOnlySpan<byte> bytes)
        {
            Length += bytes.Length;
            var room = BodyPrefixBytes - (int)_prefix.Length;
            if (room > 0) _prefix.Write(bytes[..Math.Min(room, bytes.Length)]);
        }

        public byte[] Prefix() => _prefix.ToArray();
    }
}

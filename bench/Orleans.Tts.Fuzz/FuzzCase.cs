using System.Text;

namespace Orleans.Tts.Fuzz;

/// <summary>
/// One request as raw bytes. <paramref name="Protocol"/>: malformed at the HTTP level, so Kestrel itself may answer a plain
/// 4xx or close the connection before the application sees it. <paramref name="Fresh"/>: sent on its own connection, which
/// is closed afterwards (framing tricks would desynchronise a kept-alive one). <paramref name="HalfClose"/>: the client shuts
/// its sending side after the request, as a client that dies mid-body does.
/// </summary>
public sealed record FuzzCase(long Index, string Category, byte[] Request, bool Protocol = false, bool Fresh = false, bool HalfClose = false)
{
    /// <summary>The first line and a prefix of the request, printable, for failure reports.</summary>
    public string Preview(int max = 240)
    {
        var text = Encoding.Latin1.GetString(Request, 0, Math.Min(Request.Length, max));
        var printable = new StringBuilder(text.Length);
        foreach (var c in text) printable.Append(c is >= ' ' and < (char)0x7f ? c : c == '\r' ? "\\r" : c == '\n' ? "\\n" : $"\\x{(int)c:x2}");
        return printable + (Request.Length > max ? $"… ({Request.Length} bytes)" : "");
    }
}

/// <summary>Raw HTTP/1.1 request bytes; header text is written as Latin-1 so any byte can be placed.</summary>
public static class RawRequest
{
    public static byte[] Build(string method, string target, IEnumerable<(string Name, string Value)> headers, byte[]? body,
        bool contentLength = true, string version = "HTTP/1.1", string host = "127.0.0.1", bool close = false)
    {
        var head = new StringBuilder();
        head.Append(method).Append(' ').Append(target).Append(' ').Append(version).Append("\r\n");
        if (host.Length > 0) head.Append("Host: ").Append(host).Append("\r\n");
        foreach (var (name, value) in headers) head.Append(name).Append(": ").Append(value).Append("\r\n");
        if (body is not null && contentLength) head.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        if (close) head.Append("Connection: close\r\n");
        head.Append("\r\n");
        return [.. Encoding.Latin1.GetBytes(head.ToString()), .. body ?? []];
    }

    /// <summary>
    /// Whether Kestrel refuses the request head itself: bytes outside visible ASCII in the head, a NUL in the path, a
    /// request line without exactly two spaces. Such requests get Kestrel's bodiless 400 before any middleware runs.
    /// </summary>
    public static bool HeadIsMalformed(byte[] request)
    {
        var span = request.AsSpan();
        var end = span.IndexOf("\r\n\r\n"u8);
        var head = end < 0 ? span : span[..end];
        foreach (var b in head)
            if (b >= 0x80 || b < 0x20 && b is not (byte)'\r' and not (byte)'\n' and not (byte)'\t') return true;
        var lineEnd = head.IndexOf("\r\n"u8);
        var line = Encoding.Latin1.GetString(lineEnd < 0 ? head : head[..lineEnd]);
        return line.Count(c => c == ' ') != 2 || line.Contains("%00", StringComparison.Ordinal) || line.Contains('\t');
    }

    public static byte[] Json(string method, string target, byte[] body, params (string, string)[] headers) =>
        Build(method, target, [("Content-Type", "application/json"), .. headers], body);
}

using System.Text;

namespace Orleans.Tts.Fuzz;

/// <summary>
/// Seeded, reproducible cases over every public endpoint: case <c>i</c> of seed <c>s</c> depends on (s, i) only, so
/// <c>--seed s --case i</c> replays one failure alone.
/// </summary>
public sealed class CaseGenerator(int seed)
{
    private static readonly string[] SpeechFields = ["input", "voice", "response_format", "speed", "pitch", "model", "stream_format", "max_wait_ms"];
    private static readonly string[] SpeakerFields = ["id", "voice", "speed", "pitch", "volume", "engine_speaker"];

    private static readonly (string Name, int Weight, Func<Random, long, FuzzCase> Make)[] Categories =
    [
        ("speech-json", 30, SpeechJson),
        ("speech-ssml", 10, SpeechSsml),
        ("speech-bytes", 9, SpeechBytes),
        ("speech-headers", 6, SpeechHeaders),
        ("speakers", 12, Speakers),
        ("jobs", 6, Jobs),
        ("reads", 8, Reads),
        ("admin", 2, Admin),
        ("paths", 8, Paths),
        ("header-abuse", 8, HeaderAbuse),
        ("framing", 5, Framing),
        ("raw", 2, Raw),
    ];

    public static IReadOnlyList<string> CategoryNames { get; } = Categories.Select(c => c.Name).ToList();

    public int Seed => seed;

    public FuzzCase Case(long index)
    {
        // Not HashCode.Combine: it is randomised per process, and a case must replay in another run.
        var random = new Random(CaseSeed(seed, index));
        var total = Categories.Sum(c => c.Weight);
        var pick = random.Next(total);
        foreach (var (_, weight, make) in Categories)
        {
            if (pick < weight)
            {
                var made = make(random, index);
                return made.Protocol || !RawRequest.HeadIsMalformed(made.Request) ? made : made with { Protocol = true };
            }
            pick -= weight;
        }
        throw new InvalidOperationException("unreachable");
    }

    /// <summary>SplitMix64 of (seed, index): the same in every process and on every machine.</summary>
    internal static int CaseSeed(int seed, long index)
    {
        var z = ((ulong)(uint)seed << 40) ^ (ulong)index ^ 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (int)((z ^ (z >> 31)) & 0x7FFFFFFF);
    }

    private static FuzzCase SpeechJson(Random random, long index)
    {
        var fields = JsonBodies.SpeechSeed(random);
        if (random.Next(8) > 0) JsonBodies.Mutate(random, fields, SpeechFields);
        return new(index, "speech-json", RawRequest.Json("POST", "/v1/audio/speech", Encoding.UTF8.GetBytes(JsonBodies.Object(fields))));
    }

    private static FuzzCase SpeechSsml(Random random, long index)
    {
        var fields = JsonBodies.SpeechSeed(random);
        fields[0] = new("input", HostileText.Quote(SsmlCases.Next(random)));
        if (random.Next(6) == 0) JsonBodies.Mutate(random, fields.Skip(1).ToList(), SpeechFields);
        return new(index, "speech-ssml", RawRequest.Json("POST", "/v1/audio/speech", Encoding.UTF8.GetBytes(JsonBodies.Object(fields))));
    }

    private static FuzzCase SpeechBytes(Random random, long index)
    {
        var fields = JsonBodies.SpeechSeed(random);
        if (random.Next(3) == 0) JsonBodies.Mutate(random, fields, SpeechFields);
        var body = JsonBodies.Corrupt(random, JsonBodies.Object(fields));
        return new(index, "speech-bytes", RawRequest.Json("POST", random.Next(10) == 0 ? "/v1/speakers" : "/v1/audio/speech", body));
    }

    private static FuzzCase SpeechHeaders(Random random, long index)
    {
        var body = Encoding.UTF8.GetBytes(JsonBodies.Object(JsonBodies.SpeechSeed(random)));
        var headers = new List<(string, string)>
        {
            ("Content-Type", random.Pick([
                "application/json", "application/json; charset=utf-8", "application/json; charset=utf-16", "application/json;;;", "APPLICATION/JSON",
                "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "application/problem+json", "application/jsonx",
                "application/json, text/plain", "*/*", "", ";", "application/json; charset=\"", "application/json; boundary=" + new string('b', 4000),
            ])),
        };
        switch (random.Next(6))
        {
            case 0: headers.Add(("X-Tts-Max-Wait-Ms", random.Pick(["", "abc", "-1", "NaN", "Infinity", "1e400", "1e308", "1.7976931348623157e308", "9e15", "0", "100", " 5 ", "0x10", "1,5"]))); break;
            case 1: headers.Add(("If-None-Match", random.Pick(["*", "\"x\"", "W/\"x\"", ",,,", new string('"', 3000), "\"" + new string('a', 64) + "\", *"]))); break;
            case 2: headers.Add(("Accept", random.Pick(["application/json", "audio/*", "text/event-stream", "*/*;q=0", "\u00ff\u00fe"]))); break;
            case 3: headers.Add((random.Pick(["Authorization", "X-Api-Key"]), random.Pick(["Bearer ", "Bearer " + new string('k', 8000), "Basic !!", "\u00e9\u00e8", "x"]))); break;
            case 4: headers.Add(("Accept-Encoding", random.Pick(["gzip, br", "identity;q=0", "*;q=0", "x"]))); break;
            default: headers.Add(("Content-Type", "text/plain")); break; // a second Content-Type
        }
        return new(index, "speech-headers", RawRequest.Build("POST", "/v1/audio/speech", headers, body));
    }

    private static FuzzCase Speakers(Random random, long index)
    {
        var id = random.Next(3) switch
        {
            0 => $"fz{random.Next(50)}",
            1 => Uri.EscapeDataString(HostileText.Mixed(random, random.Next(1, 4))),
            _ => random.Pick(["%2e%2e", "..", "%00", "%2F", "a%2Fb", "A", "-x", "_", new string('a', 64), new string('a', 65), new string('z', 5000), "%ZZ", "%", "a b", "%E2%80%AE", "x;y", "x?y=1", "%C0%AF", "%FF"]),
        };
        var (method, target) = random.Next(6) switch
        {
            0 => ("GET", "/v1/speakers"),
            1 => ("POST", "/v1/speakers"),
            2 => ("PUT", "/v1/speakers/" + id),
            3 => ("DELETE", "/v1/speakers/" + id),
            4 => ("GET", "/v1/speakers/" + id),
            _ => (random.Pick(["PATCH", "POST", "HEAD", "OPTIONS"]), "/v1/speakers/" + id),
        };
        return WithJsonBody(random, index, "speakers", method, target, JsonBodies.SpeakerSeed, SpeakerFields, mutateUnlessOneIn: 5);
    }

    /// <summary>The request; a POST/PUT/PATCH gets a seeded body, mutated unless 1 in <paramref name="mutateUnlessOneIn"/>, corrupted 1 in 6.</summary>
    private static FuzzCase WithJsonBody(Random random, long index, string category, string method, string target,
        Func<Random, List<JsonBodies.Field>> seed, string[] names, int mutateUnlessOneIn)
    {
        byte[]? body = null;
        if (method is "POST" or "PUT" or "PATCH")
        {
            var fields = seed(random);
            if (random.Next(mutateUnlessOneIn) > 0) JsonBodies.Mutate(random, fields, names);
            var json = JsonBodies.Object(fields);
            body = random.Next(6) == 0 ? JsonBodies.Corrupt(random, json) : Encoding.UTF8.GetBytes(json);
        }
        var headers = new List<(string, string)>();
        if (body is not null) headers.Add(("Content-Type", random.Next(10) == 0 ? "text/plain" : "application/json"));
        return new(index, category, RawRequest.Build(method, target, headers, body), Protocol: target.Length > 4000);
    }

    /// <summary>Job submissions with the speech body's mutations, and reads and cancels of hostile job ids.</summary>
    private static FuzzCase Jobs(Random random, long index)
    {
        var id = random.Next(4) switch
        {
            0 => "job_" + Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())) + Convert.ToHexStringLower(BitConverter.GetBytes(random.NextInt64())),
            1 => Uri.EscapeDataString(HostileText.Mixed(random, random.Next(1, 4))),
            _ => random.Pick(["job_", "job_00", "%2e%2e", "..", "%00", "a%2Fb", "JOB_" + new string('A', 32), new string('j', 5000), "%ZZ", "%", "x;y", "%C0%AF", "%FF"]),
        };
        var (method, target) = random.Next(7) switch
        {
            0 or 1 or 2 => ("POST", "/v1/jobs"),
            3 => ("GET", "/v1/jobs/" + id),
            4 => ("GET", "/v1/jobs/" + id + random.Pick(["/audio", "/events", "/audio?x=1", "/events/.."])),
            5 => ("DELETE", "/v1/jobs/" + id),
            _ => (random.Pick(["PUT", "PATCH", "GET", "HEAD", "OPTIONS"]), random.Next(2) == 0 ? "/v1/jobs" : "/v1/jobs/" + id),
        };
        return WithJsonBody(random, index, "jobs", method, target, JsonBodies.SpeechSeed, SpeechFields, mutateUnlessOneIn: 4);
    }

    private static FuzzCase Reads(Random random, long index)
    {
        var path = random.Pick(["/v1/voices", "/ready", "/health", "/metrics", "/openapi/v1.json", "/", "/cluster", "/v1/speakers"]);
        var query = random.Next(3) switch
        {
            0 => "",
            1 => "?" + random.Pick(["a=1", "a", "=", "&&&", "a=%00", "a=%ZZ", "x=" + new string('q', 2000), "a[]=1&a[]=2", "%E2%80%AE=1", "voice=alloy&voice=nova"]),
            _ => "?" + string.Join("&", Enumerable.Range(0, random.Pick([10, 200, 1000])).Select(i => $"k{i}={i}")),
        };
        var method = random.Pick(["GET", "GET", "GET", "HEAD", "OPTIONS", "POST", "DELETE", "PUT", "TRACE"]);
        var headers = new List<(string, string)>();
        if (random.Next(4) == 0) headers.Add(("Accept", random.Pick(["application/xml", "text/html", "*/*", "application/json;q=0"])));
        byte[]? body = method is "POST" or "PUT" && random.Next(2) == 0 ? Encoding.UTF8.GetBytes(JsonBodies.Value(random, 2)) : null;
        if (body is not null) headers.Add(("Content-Type", "application/json"));
        return new(index, "reads", RawRequest.Build(method, path + query, headers, body), Protocol: query.Length > 7000);
    }

    private static FuzzCase Admin(Random random, long index)
    {
        var method = random.Pick(["POST", "POST", "GET", "PUT", "DELETE"]);
        var target = random.Pick(["/admin/models/reload", "/admin/models/reload?dir=/etc", "/admin/models/reload/", "/admin/models", "/admin", "/ADMIN/MODELS/RELOAD", "/admin/models/reload%00", "/admin/../admin/models/reload"]);
        byte[]? body = random.Next(2) == 0 ? Encoding.UTF8.GetBytes(random.Pick(["{\"directory\":\"/etc\"}", "{}", JsonBodies.Deep(random, 1000), "garbage"])) : null;
        var headers = body is null ? new List<(string, string)>() : [("Content-Type", random.Pick(["application/json", "text/plain"]))];
        return new(index, "admin", RawRequest.Build(method, target, headers, body));
    }

    private static FuzzCase Paths(Random random, long index)
    {
        var target = random.Next(3) switch
        {
            0 => random.Pick([
                "/v1/audio/speech/", "/v1/audio/speech/../../etc/passwd", "/v1/audio/%2e%2e/%2e%2e/etc/passwd", "/v1/audio/speech%00", "/%00", "/v1//audio///speech",
                "/v1/audio/speech?x=%00", "/V1/AUDIO/SPEECH", "/v1/audio/speech;jsessionid=1", "/..", "/../../../../etc/passwd", "/\u00ff", "/%C0%AE%C0%AE/", "/%ZZ",
                "//evil.example/", "http://evil.example/v1/voices", "*", "/v1/voices#frag", "/nothing", "/v1", "/v1/audio", "/index.html", "/favicon.ico",
                "/openapi/v2.json", "/v1/speakers/%", "/%20", "/a b", "/\t", "/?", "/#", "/.well-known/../ready",
            ]),
            1 => "/" + new string('a', random.Pick([1000, 7000, 9000, 20000, 100000])),
            _ => "/v1/" + string.Concat(Enumerable.Repeat(random.Pick(["../", "%2e%2e/", "x/", "%00/", "%FF"]), random.Pick([10, 500, 3000]))),
        };
        var method = random.Pick(["GET", "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE", "CONNECT", "PROPFIND", "FOO", "get", "G E T", "GET\u0000", new string('M', 300), "BREW"]);
        var protocol = target.Length > 6000 || method.Contains(' ') || method.Contains('\u0000') || target.Any(c => c is ' ' or '\t' or > '\u007e') || target is "*" or "/#"
            || method.Length > 20 || method is "CONNECT" || target.StartsWith("http:", StringComparison.Ordinal) || target.Contains('#');
        byte[]? body = method is "POST" or "PUT" or "PATCH" ? "{\"input\":\"Hi\"}"u8.ToArray() : null;
        var headers = body is null ? new List<(string, string)>() : [("Content-Type", "application/json")];
        return new(index, "paths", RawRequest.Build(method, target, headers, body, close: protocol), Protocol: protocol, Fresh: protocol);
    }

    private static FuzzCase HeaderAbuse(Random random, long index)
    {
        var body = Encoding.UTF8.GetBytes("{\"input\":\"Hi.\",\"voice\":\"alloy\",\"response_format\":\"pcm\"}");
        var headers = new List<(string, string)> { ("Content-Type", "application/json") };
        switch (random.Next(12))
        {
            case 0: headers.Add(("X-Big", new string('h', random.Pick([8000, 33000, 100000])))); break;
            case 1: for (var i = random.Pick([50, 101, 500, 3000]); i > 0; i--) headers.Add(($"X-H{i}", "v")); break;
            case 2: headers.Add(("Content-Type", "text/plain")); break;
            case 3: headers.Add((random.Pick(["Bad Name", "X:Colon", "", "X\u0000", "\u00e9", "X\tY", "(x)"]), "v")); break;
            case 4: headers.Add(("X-Nul", "a\u0000b")); break;
            case 5: headers.Add(("X-Bytes", "\u00ff\u00fe\u0080\u0001")); break;
            case 6: headers.Add(("X-Fold", "a\r\n folded")); break;
            case 7: headers.Add(("X-CR", "a\rb")); break;
            case 8: headers.Add(("Expect", random.Pick(["100-continue", "bogus", "100-continue, x"]))); break;
            case 9: headers.Add(("Upgrade", random.Pick(["h2c", "websocket", "TLS/1.0"]))); headers.Add(("Connection", "Upgrade, HTTP2-Settings")); break;
            case 10: headers.Add(("Cookie", string.Join("; ", Enumerable.Range(0, 2000).Select(i => $"c{i}=v")))); break;
            default: headers.Add(("Host", random.Pick(["evil", "", "a b", "127.0.0.1:99999", "[::1", new string('h', 5000)]))); break;
        }
        var version = random.Next(8) == 0 ? random.Pick(["HTTP/1.0", "HTTP/2.0", "HTTP/9.9", "HTTP/1.1 ", "http/1.1", "HTTP/1", ""]) : "HTTP/1.1";
        return new(index, "header-abuse", RawRequest.Build("POST", "/v1/audio/speech", headers, body, version: version, close: true), Protocol: true, Fresh: true);
    }

    private static FuzzCase Framing(Random random, long index)
    {
        var json = Encoding.UTF8.GetBytes("{\"input\":\"Hi.\",\"voice\":\"alloy\",\"response_format\":\"pcm\"}");
        var headers = new List<(string, string)> { ("Content-Type", "application/json") };
        var body = json;
        switch (random.Next(11))
        {
            case 0: headers.Add(("Content-Length", random.Pick(["abc", "-1", "1e3", "0x10", "+5", " ", "99999999999999999999999", "5, 6", "1.5"]))); break;
            case 1: headers.Add(("Content-Length", json.Length.ToString())); headers.Add(("Content-Length", (json.Length + 1).ToString())); break;
            case 2: headers.Add(("Content-Length", "5")); break; // shorter than the body: the rest is a second, garbage request
            case 3: headers.Add(("Transfer-Encoding", "chunked")); headers.Add(("Content-Length", json.Length.ToString())); body = Chunked(json); break;
            case 4: headers.Add(("Transfer-Encoding", random.Pick(["gzip", "chunked, chunked", "identity", "chunked;x", "x-custom", "CHUNKED", " chunked"]))); body = Chunked(json); break;
            case 5: headers.Add(("Transfer-Encoding", "chunked")); body = Encoding.Latin1.GetBytes(random.Pick(["zz\r\nxx\r\n0\r\n\r\n", "-1\r\n", "fffffffffffffffff\r\nx", "5;ext=\u00ff\r\nhello\r\n0\r\n\r\n", "3\r\nabcde\r\n0\r\n\r\n", "0\r\nX-Trailer: " + new string('t', 40000) + "\r\n\r\n"])); break;
            case 6: headers.Add(("Transfer-Encoding", "chunked")); body = Chunked(json, chunk: 1); break;
            case 7: headers.Add(("Content-Length", "0")); body = []; break;
            case 8: headers.Add(("Content-Length", json.Length.ToString())); body = [.. json, .. "GARBAGE / HTTP/1.1\r\n\r\n"u8.ToArray()]; break;
            case 9: headers.Add(("Content-Length", (json.Length + random.Next(1, 100)).ToString())); headers.Add(("Connection", "close")); break; // body shorter than announced, then the client half-closes
            default: headers.Add(("Transfer-Encoding", "chunked")); headers.Add(("Connection", "close")); body = [.. Chunked(json)[..^5]]; break; // chunked body without its last chunk, then the client half-closes
        }
        var halfClose = headers.Any(h => h.Item1 == "Connection");
        return new(index, "framing", RawRequest.Build("POST", "/v1/audio/speech", headers, body, contentLength: false, close: !halfClose), Protocol: true, Fresh: true, HalfClose: halfClose);
    }

    private static FuzzCase Raw(Random random, long index)
    {
        byte[] request = random.Next(6) switch
        {
            0 => Enumerable.Range(0, random.Next(1, 200)).Select(_ => (byte)random.Next(256)).Append((byte)'\n').ToArray(),
            1 => "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray(),
            2 => [0x16, 0x03, 0x01, 0x00, 0x2e, 0x01, 0x00, 0x00, 0x2a, 0x03, 0x03, .. new byte[40]],
            3 => Encoding.Latin1.GetBytes(random.Pick(["GET\r\n\r\n", "GET /\r\n\r\n", "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n", "GET / HTTP/1.1\n\n", "GET / HTTP/1.1\r\nHost: x\r\n", " GET / HTTP/1.1\r\n\r\n"])),
            4 => Encoding.Latin1.GetBytes("GET /" + new string('/', random.Next(1, 50000)) + " HTTP/1.1\r\nHost: x\r\n\r\n"),
            _ => Encoding.Latin1.GetBytes($"{random.Pick(["POST", "GET"])} /v1/audio/speech HTTP/1.1\r\n" + string.Concat(Enumerable.Repeat("X: y\r\n", random.Next(1, 200))) + "\r\n"),
        };
        // The client leaves after its bytes: a head Kestrel is still waiting for ends with the connection, not a 30 s timeout.
        return new(index, "raw", request, Protocol: true, Fresh: true, HalfClose: true);
    }

    private static byte[] Chunked(byte[] body, int chunk = 16)
    {
        var output = new List<byte>();
        for (var i = 0; i < body.Length; i += chunk)
        {
            var n = Math.Min(chunk, body.Length - i);
            output.AddRange(Encoding.ASCII.GetBytes($"{n:x}\r\n"));
            output.AddRange(body.AsSpan(i, n).ToArray());
            output.AddRange("\r\n"u8.ToArray());
        }
        output.AddRange("0\r\n\r\n"u8.ToArray());
        return [.. output];
    }
}

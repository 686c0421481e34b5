namespace Orleans.Tts.Frontend.Auth;

/// <summary>
/// <c>key new NAME [--admin]</c> mints a key and prints it with its hash line; <c>key hash NAME [--admin]</c> reads a key
/// from stdin and prints its hash line. The key goes to the client; only the hash line goes into the configuration.
/// </summary>
public static class KeyCommand
{
    public const string Usage = "usage: key new NAME [--admin]   (mint a key; prints the key, then its hash line)\n" +
                                "       key hash NAME [--admin]  (read a key from stdin; prints its hash line)";

    public static int Run(IReadOnlyList<string> args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        var admin = args.Contains("--admin");
        var rest = args.Where(a => a != "--admin").ToList();
        if (rest.Count != 2 || rest[0] is not ("new" or "hash"))
        {
            stderr.WriteLine(Usage);
            return 2;
        }
        var name = rest[1];
        if (!ApiKeys.IsValidName(name))
        {
            stderr.WriteLine($"Invalid key name: use 1–64 characters of A–Z, a–z, 0–9, '.', '_' and '-'. It identifies the client in limits and logs.\n{Usage}");
            return 2;
        }
        var role = admin ? ApiKeyRole.Admin : ApiKeyRole.Client;
        if (rest[0] == "new")
        {
            var key = ApiKeys.Mint();
            stdout.WriteLine(key);
            stdout.WriteLine(ApiKeys.HashLine(name, role, key));
            stderr.WriteLine("Line 1 is the key: give it to the client; it is not stored anywhere and cannot be shown again.");
            stderr.WriteLine("Line 2 is its hash line: add it to TTS_API_KEYS_FILE (or TTS_API_KEYS).");
            return 0;
        }
        var read = stdin.ReadLine()?.Trim();
        if (string.IsNullOrEmpty(read))
        {
            stderr.WriteLine("key hash reads the key from stdin: echo \"$KEY\" | … key hash NAME");
            return 2;
        }
        stdout.WriteLine(ApiKeys.HashLine(name, role, read));
        return 0;
    }
}

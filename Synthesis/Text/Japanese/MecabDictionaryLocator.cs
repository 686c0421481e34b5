namespace Orleans.Tts.Synthesis.Text.Japanese;

/// <summary>Finds the UTF-8 IPAdic directory installed by Debian's mecab-ipadic-utf8.</summary>
internal static class MecabDictionaryLocator
{
    public const string DebianIpadicUtf8 = "/var/lib/mecab/dic/ipadic-utf8";
    public const string DebianAlternative = "/var/lib/mecab/dic/debian";
    public const string SystemRcFile = "/etc/mecabrc";

    /// <summary>
    /// The explicit ipadic-utf8 directory comes first: the Debian alternative and /etc/mecabrc may point at
    /// another dictionary (e.g. jumandic), whose feature columns differ.
    /// </summary>
    public static IReadOnlyList<string> DefaultCandidates()
    {
        var candidates = new List<string> { DebianIpadicUtf8, DebianAlternative };
        if (File.Exists(SystemRcFile) && ParseDicdir(File.ReadAllText(SystemRcFile)) is { } dicdir)
            candidates.Add(dicdir);
        return candidates;
    }

    public static string? Locate(IEnumerable<string> candidates) =>
        candidates.FirstOrDefault(dir => File.Exists(Path.Combine(dir, "sys.dic")));

    /// <summary>Reads <c>dicdir = …</c> from mecabrc text (';' starts a comment line).</summary>
    public static string? ParseDicdir(string rcText)
    {
        foreach (var raw in rcText.Split('\n'))
        {
            var line = raw.Trim();
            if (line.StartsWith(';') || line.StartsWith('#'))
                continue;
            var eq = line.IndexOf('=');
            if (eq > 0 && line[..eq].Trim() == "dicdir")
            {
                var value = line[(eq + 1)..].Trim();
                return value.Length > 0 ? value : null;
            }
        }
        return null;
    }
}

using System.Text.Json;

namespace Orleans.Tts.Synthesis.Engines.Models;

/// <summary>A Piper voice's files: the model and its config.</summary>
public sealed record PiperFiles(string Model, string Config);

/// <summary>A Kokoro model and the folder of its voice tables (<c>*.bin</c>).</summary>
public sealed record KokoroFiles(string Model, string VoicesDirectory);

/// <summary>A file or folder under the models directory that is no model, and why.</summary>
public sealed record SkippedModelFile(string Path, string Reason);

/// <summary>
/// The models under the models directory, recognised by the files beside each <c>.onnx</c> wherever it lies (straight in
/// the directory, in <c>piper/</c> or <c>kokoro/</c>, in any folder):
/// <list type="bullet">
/// <item>a Piper voice has its config beside it: <c>NAME.onnx.json</c> as Piper's download names it, <c>NAME.json</c>, or
/// a <c>config.json</c> holding a <c>phoneme_id_map</c> when it is the folder's only model (a training export's layout);</item>
/// <item>a Kokoro model has its voice tables beside it, <c>voices/*.bin</c>, or one folder up when the model is in
/// <c>onnx/</c> (the published ONNX repository's layout).</item>
/// </list>
/// Any other <c>.onnx</c> is skipped with the reason, as is a <c>voices/</c> folder of tables with no model beside it.
/// </summary>
public sealed record ModelFiles(
    IReadOnlyList<PiperFiles> Piper,
    IReadOnlyList<KokoroFiles> Kokoro,
    IReadOnlyList<SkippedModelFile> SkippedModels,
    IReadOnlyList<SkippedModelFile> OrphanVoiceTables)
{
    private const string VoicesFolder = "voices";

    /// <summary>Walks <paramref name="root"/>; an unreadable folder throws (the caller keeps what it has loaded).</summary>
    public static ModelFiles Find(string root)
    {
        var piper = new List<PiperFiles>();
        var kokoro = new List<KokoroFiles>();
        var skipped = new List<SkippedModelFile>();
        var models = Directory.EnumerateFiles(root, "*.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList();
        var modelsPerFolder = models.GroupBy(Path.GetDirectoryName).ToDictionary(g => g.Key ?? "", g => g.Count());
        foreach (var model in models)
        {
            var folder = Path.GetDirectoryName(model) ?? root;
            if (PiperConfig(model, folder, modelsPerFolder[folder]) is { } config)
                piper.Add(new PiperFiles(model, config));
            else if (KokoroVoices(folder) is { } voices)
                kokoro.Add(new KokoroFiles(model, voices));
            else
                skipped.Add(new SkippedModelFile(model,
                    $"no Piper config {Path.GetFileName(model)}.json beside it, and not a Kokoro model (no {VoicesFolder}/*.bin beside it)"));
        }

        var used = kokoro.Select(k => k.VoicesDirectory).ToHashSet(StringComparer.Ordinal);
        var orphans = Directory.EnumerateDirectories(root, VoicesFolder, SearchOption.AllDirectories)
            .Where(d => !used.Contains(d) && HasVoiceTables(d))
            .Order(StringComparer.Ordinal)
            .Select(d => new SkippedModelFile(d, "There are Kokoro voice tables here but no Kokoro model (*.onnx) beside this folder."))
            .ToList();
        return new ModelFiles(piper, kokoro, skipped, orphans);
    }

    private static string? PiperConfig(string model, string folder, int modelsInFolder)
    {
        if (File.Exists(model + ".json")) return model + ".json";
        var sameName = Path.ChangeExtension(model, ".json");
        if (File.Exists(sameName)) return sameName;
        // A config.json could be anything (Kokoro's repository has one too): only Piper's names a phoneme map.
        var shared = Path.Combine(folder, "config.json");
        return modelsInFolder == 1 && File.Exists(shared) && NamesPhonemeIdMap(shared) ? shared : null;
    }

    private static bool NamesPhonemeIdMap(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            using var json = JsonDocument.Parse(stream);
            return json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("phoneme_id_map", out _);
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static string? KokoroVoices(string folder)
    {
        var beside = Path.Combine(folder, VoicesFolder);
        if (HasVoiceTables(beside)) return beside;
        if (Path.GetFileName(folder) == "onnx" && Path.GetDirectoryName(folder) is { } parent && HasVoiceTables(Path.Combine(parent, VoicesFolder)))
            return Path.Combine(parent, VoicesFolder);
        return null;
    }

    private static bool HasVoiceTables(string folder) =>
        Directory.Exists(folder) && Directory.EnumerateFiles(folder, "*.bin").Any();
}

using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Tts.Synthesis.Engines.Espeak;
using Orleans.Tts.Synthesis.Text.Chinese;
using Orleans.Tts.Synthesis.Text.Japanese;
using Orleans.Tts.Synthesis;

namespace Orleans.Tts.Bench;

/// <summary>The eSpeak engine in this process (its engine hosts are this process's children).</summary>
public sealed class EngineTarget : ISpeechTarget, IAsyncDisposable
{
    private static readonly SynthesisOptions Defaults = new();
    private readonly EspeakEngine _engine;
    private readonly MecabKanaConverter _kana;

    private EngineTarget(EspeakEngine engine, MecabKanaConverter kana)
    {
        _engine = engine;
        _kana = kana;
    }

    public string Name => "raw";

    public IReadOnlyCollection<int> HostProcessIds => _engine.HostProcessIds;

    public static async Task<EngineTarget> StartAsync(int hosts, CancellationToken ct)
    {
        var kana = MecabKanaConverter.Create();
        var frontEnd = new EspeakTextFrontEnd(MandarinFrontEnd.LoadDefault().ToPinyin, kana.ToKana);
        var engine = new EspeakEngine(new EspeakEngineOptions { Hosts = hosts }, frontEnd, NullLogger<EspeakEngine>.Instance);
        try
        {
            await engine.StartAsync(ct);
        }
        catch
        {
            await engine.DisposeAsync();
            kana.Dispose();
            throw;
        }
        return new EngineTarget(engine, kana);
    }

    public async ValueTask<double> SpeakAsync(string voiceId, string sentence, int caller, CancellationToken ct)
    {
        var clip = await _engine.SynthesizeSentenceAsync(voiceId, sentence, Defaults, ct);
        if (clip.Samples.Length == 0) throw new InvalidDataException($"The engine returned no audio for '{sentence}'.");
        return clip.Duration.TotalSeconds;
    }

    public async ValueTask DisposeAsync()
    {
        await _engine.DisposeAsync();
        _kana.Dispose();
    }
}

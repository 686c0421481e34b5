using Orleans.Tts.Synthesis.Engines.Espeak;

namespace Orleans.Tts.EngineHost;

/// <summary>One isolated eSpeak NG instance, driven by the silo over stdin/stdout (see <see cref="EngineHostServer"/>).</summary>
internal static class EngineHostProgram
{
    private static Task<int> Main() =>
        EngineHostServer.RunAsync(Console.OpenStandardInput(), Console.OpenStandardOutput(), Console.Error);
}
